/*
 * test_events.c - loading the CloudEvent fixtures and wrapping payloads
 * in envelopes for the event and state suites.
 */
#include "test/lib/test_events.h"

#include <stdlib.h>
#include <string.h>

#include "test/lib/test_util.h"

cJSON *
test_events_load(void)
{
    const char *path = test_fixture_path("manifests/events.json");
    if (path == NULL)
        return NULL;
    size_t len;
    char *text = test_read_file(path, &len);
    if (text == NULL)
        return NULL;
    cJSON *arr = cJSON_ParseWithLength(text, len);
    free(text);
    return arr;
}

char *
test_event_text(const char *type)
{
    cJSON *arr = test_events_load();
    if (arr == NULL)
        return NULL;
    char *out = NULL;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, arr)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(ev, "type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0) {
            out = cJSON_PrintUnformatted(ev);
            break;
        }
    }
    cJSON_Delete(arr);
    return out;
}

char *
test_event_wrap(const char *type, const char *source, const char *data_json)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddStringToObject(ev, "specversion", "1.0");
    cJSON_AddStringToObject(ev, "id", "0193a1b2-0000-0000-0000-000000000001");
    cJSON_AddStringToObject(ev, "type", type);
    cJSON_AddStringToObject(ev, "source", source);
    cJSON_AddStringToObject(ev, "datacontenttype", "application/json");
    cJSON_AddStringToObject(ev, "time", "2025-04-01T12:00:00.000000Z");
    cJSON_AddItemToObject(ev, "data", cJSON_Parse(data_json));
    char *out = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    return out;
}
