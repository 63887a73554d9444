/*
 * commands.h - the subcommands of the corral program, one file each.
 *
 * Each takes the arguments after its own name (argv[0] is the subcommand)
 * and returns the process exit status: 0 success, 1 input had problems
 * (records rejected), 2 usage or I/O error.
 */
#ifndef CORRAL_CLI_COMMANDS_H
#define CORRAL_CLI_COMMANDS_H

#define CORRAL_EXIT_OK 0
#define CORRAL_EXIT_REJECTED 1
#define CORRAL_EXIT_ERROR 2

int corral_cmd_alerts(int argc, char **argv);
int corral_cmd_catalog(int argc, char **argv);
int corral_cmd_correlate(int argc, char **argv);
int corral_cmd_explain(int argc, char **argv);
int corral_cmd_rules(int argc, char **argv);
int corral_cmd_serve(int argc, char **argv);
int corral_cmd_token(int argc, char **argv);
int corral_cmd_incidents(int argc, char **argv);

#endif
