/*
 * CLI subcommands of the signature store (docs/FORMAT.md):
 *
 *   neardup index   -s STORE [options] INPUT...   create or append to a store
 *   neardup query   -s STORE [options] INPUT...   compare documents with a store
 *   neardup compare [options] STORE_A STORE_B     near-duplicates across two stores
 *   neardup merge   -o OUT STORE...               one store from several
 *   neardup prune   -s STORE --before DATE | --keep N
 *   neardup info    [--verify] STORE              parameters, counts, sizes
 *   neardup recover -s STORE                      keep what is intact of a damaged store
 *
 * Each entry point takes the subcommand's own argv (argv[0] is its name) and
 * returns the process exit status: 0 ok, 1 some input could not be read, 2
 * usage, 3 something found (only with --exit-status), 4 store locked.
 */
#ifndef ND_CLI_STORE_CMD_H
#define ND_CLI_STORE_CMD_H

int cli_cmd_index(int argc, char **argv);
int cli_cmd_query(int argc, char **argv);
int cli_cmd_compare(int argc, char **argv);
int cli_cmd_merge(int argc, char **argv);
int cli_cmd_prune(int argc, char **argv);
int cli_cmd_info(int argc, char **argv);
int cli_cmd_recover(int argc, char **argv);

#endif
