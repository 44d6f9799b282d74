/* Deliberately leaks a string berth returned: the harness checks that valgrind, run
 * with the same options as for the real programs, reports it (exit code 99). This
 * keeps the valgrind check itself honest. */
#include "check.h"

int main(void) {
    berth_client *client = NULL;
    OK(berth_client_from_env(&client, errp));
    char *json = NULL;
    OK(berth_client_version(client, &json, errp));
    CHECK(json != NULL, "no version");
    json = NULL; /* leaked */
    berth_client_free(client);
    return 0;
}
