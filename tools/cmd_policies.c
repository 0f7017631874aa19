/* cmd_policies.c - `ternrig policies`: the flush policies the core offers,
 * from its descriptor, for people and for scripts; and the shared parsing
 * and error text of every command's --policy option. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"
#include "util.h"

static const char policies_help[] =
    "usage: ternrig policies [--long] [--no-bpf]\n"
    "\n"
    "Print the flush policies the model offers (SPEC section 4), one name\n"
    "per line, in the order of the core's descriptor: the list scripts and\n"
    "fuzz target names are made from (target fuzz_NAME, '-' as '_').\n"
    "\n"
    "  -l, --long  also the TernFS version each models, the kernel facts its\n"
    "              decisions read (those marked * only BPF can give: ternrig\n"
    "              fs needs BPF contexts for it), a one-line summary and\n"
    "              the done rule the oracle judges it by (README \"What\n"
    "              done means\")\n"
    "  -n, --no-bpf  only the policies whose facts /proc can give: those\n"
    "              ternrig fs (replay --real, stress) runs without BPF\n"
    "  -h, --help  this help\n";

int policy_arg(const char *cmd, const char *arg, enum policy *out)
{
    if (policy_from_name(arg, strlen(arg), out))
        return 0;
    char all[256];
    policy_names_joined(all, sizeof all, ", ");
    return usage_error(cmd, "unknown policy '%s' (policies: %s)", arg, all);
}

int closetracker_map_arg(const char *cmd, const char *arg, uint32_t *out)
{
    unsigned long long n;
    if (parse_number(arg, 1, CLOSETRACKER_MAP_DEFAULT, &n) < 0)
        return usage_error(cmd, "--closetracker-map '%s': a number from 1 "
                                "to %u", arg, CLOSETRACKER_MAP_DEFAULT);
    *out = (uint32_t)n;
    return 0;
}

void print_policy_list(FILE *out, const char *indent)
{
    char all[256];
    policy_names_joined(all, sizeof all, ", ");
    fprintf(out, "%spolicies: %s\n", indent, all);
}

int policy_help(const char *help)
{
    fputs(help, stdout);
    printf("\nP is a flush policy (`ternrig policies --long` says what each\n"
           "models, and which need BPF contexts on the embedded fs):\n");
    print_policy_list(stdout, "  ");
    return 0;
}

static void print_long(bool no_bpf)
{
    for (int p = 0; p < POLICY_COUNT; p++) {
        const struct policy_desc *d = policy_desc((enum policy)p);
        if (no_bpf && policy_needs_kernel_facts((enum policy)p))
            continue;
        printf("%s\n  models:  %s\n  facts:  ", d->name, d->models);
        if (!d->facts)
            printf(" none");
        for (unsigned f = 1; f <= POLICY_FACT_LAST; f <<= 1)
            if (d->facts & f)
                printf(" %s%s", policy_fact_name((enum policy_fact)f),
                       (f & POLICY_FACTS_KERNEL_ONLY) ? "*" : "");
        printf("\n  summary: %s\n", d->summary);
        printf("  done:    %s\n", done_rule_name(d->done));
    }
}

int cmd_policies(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"long", no_argument, 0, 'l'},
        {"no-bpf", no_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    bool lng = false, no_bpf = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "lnh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': lng = true; break;
        case 'n': no_bpf = true; break;
        case 'h': fputs(policies_help, stdout); return 0;
        default: return usage_error("policies", "bad option");
        }
    }
    if (optind < argc)
        return usage_error("policies", "unexpected argument '%s'",
                           argv[optind]);
    if (lng) {
        print_long(no_bpf);
        return 0;
    }
    for (int p = 0; p < POLICY_COUNT; p++)
        if (!no_bpf || !policy_needs_kernel_facts((enum policy)p))
            printf("%s\n", policy_name((enum policy)p));
    return 0;
}
