/*
 * dm-mt5 — the MetaTrader 5 bridge's shared secret and generated files.
 *
 *   dm-mt5 new-secret FILE             a fresh key, owner-only (0600)
 *   dm-mt5 check-secret FILE           load it as DreamMaker does; its fingerprint
 *   dm-mt5 gen-mqh [-o FILE]           the Expert Advisor's message include
 *   dm-mt5 gen-doc [--update DOC]      docs/mt5-bridge.md's byte tables
 *   dm-mt5 schema                      protocol version and schema hash
 *
 * No key ever reaches the terminal or a log: only its fingerprint, which
 * the Expert Advisor prints too (docs/mt5-bridge.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/cli/cli.h"
#include "libcore/mt5/mt5_gen.h"
#include "libcore/mt5/mt5_proto.h"
#include "libcore/mt5/mt5_session.h"

#define DOC_MAX (4u << 20)

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-mt5 new-secret FILE\n"
		"       dm-mt5 check-secret FILE\n"
		"       dm-mt5 gen-mqh [-o FILE]\n"
		"       dm-mt5 gen-doc [--update DOC]\n"
		"       dm-mt5 schema\n"
		"\n"
		"The MetaTrader 5 bridge's shared secret, and the files generated from the\n"
		"description of its messages.  The description is libcore/mt5/mt5_msgs.def,\n"
		"the protocol docs/mt5-bridge.md.\n"
		"\n"
		"  new-secret    write a fresh 32-byte key (64 hex digits) to FILE, which\n"
		"                must not exist, readable by its owner alone (0600); print\n"
		"                its fingerprint.  Copy FILE to the terminal's MQL5/Files\n"
		"                (the Expert Advisor's SecretFile) and name it in\n"
		"                mt5.secret_file\n"
		"  check-secret  load FILE as DreamMaker does (owner-only, 32 to 64 bytes of\n"
		"                hex) and print its fingerprint; the Expert Advisor prints\n"
		"                the fingerprint of its copy at start, so the two can be\n"
		"                compared without showing the key\n"
		"  gen-mqh       the MQL5 include of the messages (DreamMakerBridge_msgs.mqh)\n"
		"                on stdout, or into FILE\n"
		"  gen-doc       the document's generated tables on stdout; --update DOC\n"
		"                replaces the text between its markers instead\n"
		"  schema        the protocol version and the description's schema hash\n"
		"\n"
		"  -o, --output FILE   gen-mqh: write FILE (replaced whole)\n"
		"      --update DOC    gen-doc: splice into DOC\n"
		"  -h, --help          this text\n"
		"      --version       the release and layout words\n"
		"\n"
		"exit: 0 ok, 1 runtime failure, 2 bad usage or a refused key file\n");
}

/* Write n bytes of p to path through a temporary file renamed over it. */
static int write_file(const char *path, const char *p, size_t n)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return cli_fail(2, "%s: path too long", path);
	f = fopen(tmp, "w");
	if (!f)
		return cli_fail(1, "%s: cannot create: %s", tmp, strerror(errno));
	size_t w = fwrite(p, 1, n, f);
	int closed = fclose(f);

	if (w != n || closed) {
		unlink(tmp);
		return cli_fail(1, "%s: cannot write: %s", tmp, strerror(errno));
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return cli_fail(1, "%s: cannot replace: %s", path, strerror(errno));
	}
	return 0;
}

static int cmd_new_secret(const char *path)
{
	uint8_t raw[MT5_KEY_MIN];
	char hex[2 * MT5_KEY_MIN + 2], fpr[17];
	struct mt5_key k;
	size_t got = 0;
	int fd, rc = 0;

	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cli_fail(1, "getrandom: %s", strerror(errno));
		got += (size_t)n;
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	hex[2 * sizeof(raw)] = '\n';
	hex[2 * sizeof(raw) + 1] = '\0';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = cli_fail(errno == EEXIST ? 2 : 1, "%s: cannot create: %s%s", path,
		              strerror(errno), errno == EEXIST ? " (a key is never overwritten)" : "");
		goto wipe;
	}
	if (fchmod(fd, 0600) || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd)) {
		rc = cli_fail(1, "%s: cannot write: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto wipe;
	}
	close(fd);
	if (mt5_key_parse(&k, hex, strlen(hex))) {
		rc = cli_fail(1, "%s: the key written does not read back", path);
		goto wipe;
	}
	mt5_key_fingerprint(&k, fpr);
	mt5_key_wipe(&k);
	printf("%s: a new %zu-byte key, fingerprint %s\n", path, sizeof(raw), fpr);
wipe:
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(hex, sizeof(hex));
	return rc;
}

static int cmd_check_secret(const char *path)
{
	struct mt5_key k;
	char err[512], fpr[17];
	int rc = mt5_key_load(&k, path, err, sizeof(err));

	if (rc)
		return cli_fail(rc == -ENOENT || rc == -EINVAL || rc == -EPERM ? 2 : 1, "%s", err);
	mt5_key_fingerprint(&k, fpr);
	printf("%s: a %u-byte key, fingerprint %s\n", path, k.len, fpr);
	mt5_key_wipe(&k);
	return 0;
}

static int cmd_gen_mqh(const char *out)
{
	size_t n = mt5_gen_mqh(NULL, 0);
	char *text = malloc(n + 1);
	int rc = 0;

	if (!text)
		return cli_fail(1, "out of memory");
	mt5_gen_mqh(text, n + 1);
	if (out)
		rc = write_file(out, text, n);
	else if (fwrite(text, 1, n, stdout) != n)
		rc = cli_fail(1, "stdout: %s", strerror(errno));
	free(text);
	return rc;
}

static int cmd_gen_doc(const char *doc)
{
	size_t n = mt5_gen_doc(NULL, 0), at, len, dn;
	char *text = malloc(n + 1), *old = NULL, *neu = NULL;
	FILE *f;
	int rc = 0;

	if (!text)
		return cli_fail(1, "out of memory");
	mt5_gen_doc(text, n + 1);
	if (!doc) {
		if (fwrite(text, 1, n, stdout) != n)
			rc = cli_fail(1, "stdout: %s", strerror(errno));
		goto out;
	}
	if (!(f = fopen(doc, "r"))) {
		rc = cli_fail(2, "%s: cannot open: %s", doc, strerror(errno));
		goto out;
	}
	old = malloc(DOC_MAX);
	dn = old ? fread(old, 1, DOC_MAX, f) : 0;
	fclose(f);
	if (!old || dn == DOC_MAX) {
		rc = cli_fail(old ? 2 : 1, "%s: %s", doc, old ? "larger than 4 MiB" : "out of memory");
		goto out;
	}
	if (mt5_gen_doc_section(old, dn, &at, &len)) {
		rc = cli_fail(2, "%s: no generated section: put the lines\n%s\n%s\n"
		              "where the tables go", doc, MT5_GEN_DOC_BEGIN, MT5_GEN_DOC_END);
		goto out;
	}
	if (!(neu = malloc(dn - len + n))) {
		rc = cli_fail(1, "out of memory");
		goto out;
	}
	memcpy(neu, old, at);
	memcpy(neu + at, text, n);
	memcpy(neu + at + n, old + at + len, dn - at - len);
	rc = write_file(doc, neu, dn - len + n);
out:
	free(text);
	free(old);
	free(neu);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "update", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *output = NULL, *update = NULL, *cmd;
	int c, nargs;

	cli_set_prog("dm-mt5");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': output = optarg; break;
		case 'U': update = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': return cli_version();
		default: return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("a command is needed: new-secret, check-secret, gen-mqh, "
		                       "gen-doc or schema");
	cmd = argv[optind];
	nargs = argc - optind - 1;
	if (output && strcmp(cmd, "gen-mqh"))
		return cli_usage_error("-o is an option of gen-mqh");
	if (update && strcmp(cmd, "gen-doc"))
		return cli_usage_error("--update is an option of gen-doc");
	if (!strcmp(cmd, "new-secret") || !strcmp(cmd, "check-secret")) {
		if (nargs != 1)
			return cli_usage_error("%s takes one FILE", cmd);
		return cmd[0] == 'n' ? cmd_new_secret(argv[optind + 1])
		                     : cmd_check_secret(argv[optind + 1]);
	}
	if (nargs != 0)
		return cli_usage_error("%s takes no argument", cmd);
	if (!strcmp(cmd, "gen-mqh"))
		return cmd_gen_mqh(output);
	if (!strcmp(cmd, "gen-doc"))
		return cmd_gen_doc(update);
	if (!strcmp(cmd, "schema")) {
		printf("protocol %d, schema %08x\n", MT5_PROTO_VERSION, mt5_schema_hash());
		return 0;
	}
	return cli_usage_error("unknown command '%s'", cmd);
}
