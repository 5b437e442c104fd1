/*
 * test_events.h - the shared CloudEvent fixtures (manifests/events.json)
 * for the event and state suites, and small CloudEvent builders.
 */
#ifndef WADM_TEST_EVENTS_H
#define WADM_TEST_EVENTS_H

#include <cjson/cJSON.h>

/* The parsed events.json array (caller deletes), or NULL when absent. */
cJSON *test_events_load(void);

/*
 * The first fixture event of the given CloudEvent type, printed compactly
 * (caller frees), or NULL when the fixtures are absent.
 */
char *test_event_text(const char *type);

/*
 * A complete CloudEvent of the given type and source around data_json (a
 * JSON value as text), printed compactly (caller frees).
 */
char *test_event_wrap(const char *type, const char *source,
                      const char *data_json);

#endif
