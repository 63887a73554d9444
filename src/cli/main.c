/*
 * main.c - the corral program: finds the subcommand and hands over.
 *
 * corral reads the security alerts that Microsoft Defender for Cloud and
 * Microsoft Sentinel export and correlates them into incidents. Each
 * subcommand lives in its own file (cmd_*.c) with its own --help.
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const char usage[] =
    "usage: corral COMMAND [OPTIONS] [ARGS...]\n"
    "\n"
    "corral reads the security alerts that Microsoft Defender for Cloud and\n"
    "Microsoft Sentinel export (REST API lists, continuous export, Sentinel\n"
    "SecurityAlert rows) and correlates related alerts into security incidents.\n"
    "\n"
    "Commands:\n"
    "  correlate [FILE...]   correlate alerts into incidents, written as NDJSON\n"
    "  explain ID FILE...    explain one incident in words, alert by alert\n"
    "  alerts [FILE...]      decode alerts and print each one, normalized, as JSON\n"
    "  rules check FILE...   validate rules files (every error as file:line:col)\n"
    "  rules list            show the loaded correlation rules\n"
    "  catalog build FILE    resolve Microsoft's alert reference into alert-types.tsv\n"
    "  catalog lookup TYPE   show the plan, signals and tactics corral gives an alert type\n"
    "  serve                 run the incident service (HTTP API on a SQLite database)\n"
    "  token create|list|revoke   manage the service's API tokens\n"
    "  incidents list|show|set-status   read and manage the service's incidents\n"
    "\n"
    "Options:\n"
    "  -h, --help            show this help, or a command's help: corral COMMAND --help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Exit status: 0 success; 1 some input records were rejected; 2 usage or I/O error.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return CORRAL_EXIT_ERROR;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return CORRAL_EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("corral %s\n", CORRAL_VERSION);
        return CORRAL_EXIT_OK;
    }
    if (strcmp(cmd, "correlate") == 0) {
        return corral_cmd_correlate(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "explain") == 0) {
        return corral_cmd_explain(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "rules") == 0) {
        return corral_cmd_rules(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "alerts") == 0) {
        return corral_cmd_alerts(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "catalog") == 0) {
        return corral_cmd_catalog(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "serve") == 0) {
        return corral_cmd_serve(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "token") == 0) {
        return corral_cmd_token(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "incidents") == 0) {
        return corral_cmd_incidents(argc - 1, argv + 1);
    }
    fprintf(stderr, "corral: unknown command '%s'\n\n%s", cmd, usage);
    return CORRAL_EXIT_ERROR;
}
