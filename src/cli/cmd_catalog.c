/*
 * cmd_catalog.c - `corral catalog`: build and query the alert-type table.
 *
 * `build` turns Microsoft's public alert reference into the resolved table
 * that corral ships (data/alert-types.tsv), so that updating the reference is
 * one command and a diff. `lookup` shows how one alert type is classified,
 * which is the first thing to check when an alert does not correlate.
 */
#include <stdio.h>
#include <string.h>

#include "classify/catalog.h"
#include "cli/commands.h"
#include "cli/setup.h"

static const char help[] =
    "usage: corral catalog build [FILE]\n"
    "       corral catalog lookup [--catalog FILE] TYPE [DISPLAY-NAME [PRODUCT-COMPONENT]]\n"
    "\n"
    "build   Read Microsoft's alert reference (tab-separated: plan, alert_type,\n"
    "        display_name, tactics, severity; FILE or standard input) and write the\n"
    "        resolved table corral loads at start (alert_type, display_name, plan,\n"
    "        signals, tactics) to standard output. The shipped table is made with\n"
    "          corral catalog build data/defender-alert-catalog.tsv > data/alert-types.tsv\n"
    "\n"
    "lookup  Print the plan, signals and tactics corral gives an alert of TYPE (with\n"
    "        the given display name and product component, when the type is not in\n"
    "        the table or is listed under several plans), and whether the table knew it.\n"
    "\n"
    "Exit status: 0 success; 2 a usage error or a malformed file.\n";

static int build(int argc, char **argv)
{
    FILE *in = stdin;
    const char *name = "<stdin>";
    if (argc > 2) {
        fputs(help, stderr);
        return CORRAL_EXIT_ERROR;
    }
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        name = argv[1];
        in = fopen(name, "r");
        if (in == NULL) {
            perror(name);
            return CORRAL_EXIT_ERROR;
        }
    }
    struct corral_diag diag = {0};
    corral_err err = corral_catalog_build(in, name, stdout, &diag);
    if (in != stdin) {
        fclose(in);
    }
    if (err != CORRAL_OK) {
        fprintf(stderr, "%s:%zu:%zu: error: %s\n", name, diag.line, diag.col, diag.msg);
        return CORRAL_EXIT_ERROR;
    }
    if (fflush(stdout) != 0) {
        perror("corral catalog build: stdout");
        return CORRAL_EXIT_ERROR;
    }
    return CORRAL_EXIT_OK;
}

static int lookup(int argc, char **argv)
{
    struct corral_input_opts opts;
    corral_input_opts_init(&opts);
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--catalog") == 0) {
        opts.catalog_path = argv[i + 1];
        i += 2;
    }
    if (argc - i < 1 || argc - i > 3) {
        fputs(help, stderr);
        return CORRAL_EXIT_ERROR;
    }
    const char *type = argv[i];
    const char *display = argc - i > 1 ? argv[i + 1] : "";
    const char *component = argc - i > 2 ? argv[i + 2] : "";
    corral_catalog *cat = corral_load_catalog(&opts);
    if (cat == NULL) {
        return CORRAL_EXIT_ERROR;
    }
    struct corral_classification cl;
    corral_catalog_classify(cat, type, strlen(type), display, strlen(display), component,
                            strlen(component), &cl);
    printf("type:    %s\n", type);
    printf("known:   %s\n", cl.known ? "yes (alert-type table)" : "no (text rules)");
    printf("plan:    %s\n", corral_plan_name(cl.plan));
    printf("signals:");
    for (unsigned b = 0; b < CORRAL_SIG_COUNT; b++) {
        if (cl.signals & (1u << b)) {
            printf(" %s", corral_signal_name((enum corral_signal)(1u << b)));
        }
    }
    printf("\ntactics:");
    for (unsigned t = 0; t < CORRAL_TAC_COUNT; t++) {
        if (cl.tactics & (1u << t)) {
            printf(" %s(stage %u)", corral_tactic_name((enum corral_tactic)t),
                   corral_tactic_stage((enum corral_tactic)t));
        }
    }
    printf("\n");
    corral_catalog_free(cat);
    return CORRAL_EXIT_OK;
}

int corral_cmd_catalog(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? CORRAL_EXIT_ERROR : CORRAL_EXIT_OK;
    }
    if (strcmp(argv[1], "build") == 0) {
        return build(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "lookup") == 0) {
        return lookup(argc - 1, argv + 1);
    }
    fprintf(stderr, "corral catalog: unknown subcommand '%s'\n\n%s", argv[1], help);
    return CORRAL_EXIT_ERROR;
}
