#!/bin/bash
# Builds the benchmark corpus: about 150 MB of real English prose taken from
# Debian documentation packages, offline and deterministically (same packages,
# same bytes). Real prose matters: the tokenizer's and the shingler's speed
# depend on word lengths and on the share of non-ASCII text, which synthetic
# text gets wrong.
#
# Usage: bench/make_corpus.sh [OUTDIR]      (default: bench-corpus/ at the project root)
#
# Writes to OUTDIR:
#   raw/NAME.txt   one plain-text file per source, wrapped as in the source
#   corpus.txt     every raw file, concatenated
#   news.txt       "news-like" documents of 300-1500 words, one paragraph per line,
#                  paragraphs separated by a blank line, documents by a line holding
#                  only a form feed (see bench/news_docs.py for the rules)
#   news.jsonl     the same documents, one {"id": N, "text": "..."} per line
#   SHA256SUMS     digests of all of the above, to check a rebuild
#
# The packages are installed with apt-get when missing (needs root and a
# Debian 12 package mirror); nothing else is downloaded.
set -euo pipefail
export LC_ALL=C.UTF-8   # byte order for every sort, UTF-8 for the tools

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../bench-corpus"}
raw="$out/raw"

packages=(linux-doc-6.1 python3.11-doc python-django-doc postgresql-doc-15 perl-doc git-doc
          dict-gcide dict-devil dict-foldoc dict-jargon debian-reference-en debian-history
          developers-reference bible-kjv bible-kjv-text w3m perl python3)

install_missing() {
    local need=()
    for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
    [ ${#need[@]} -eq 0 ] && return 0
    echo "make_corpus: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# Prints the files on stdin (NUL-separated, already sorted) one after the
# other, each through the command given as arguments, a blank line after
# each so that no paragraph runs into the next file's first one.
each_file() {
    while IFS= read -r -d '' f; do "$@" "$f"; printf '\n\n'; done
}
render_html() { w3m -dump -cols 4000 -T text/html -I UTF-8 -O UTF-8 "$1"; }
render_pod() { pod2text -w 4000 "$1"; }
sorted_find() { find "$@" -type f -print0 | sort -z; }

source_kernel() {     # reStructuredText and text sources, translations left out
    dpkg -L linux-doc-6.1 | grep -E '\.(rst|txt)(\.gz)?$' | grep -v '/translations/' \
        | while IFS= read -r f; do [ -f "$f" ] && printf '%s\0' "$f"; done | sort -z | each_file zcat -f
}
source_python() { sorted_find /usr/share/doc/python3.11/html/_sources -name '*.txt' | each_file cat; }
source_django() { sorted_find /usr/share/doc/python-django-doc -name '*.html' | each_file render_html; }
source_postgres() { sorted_find /usr/share/doc/postgresql-doc-15 -name '*.html' | each_file render_html; }
source_git() { sorted_find /usr/share/doc/git-doc -name '*.txt' | each_file cat; }
source_perl() { sorted_find /usr/share/perl/5.36/pod -name '*.pod' | each_file render_pod; }

source_debian() {     # the English pages of three Debian manuals
    dpkg -L debian-reference-en developers-reference debian-history | grep -E '\.html$' \
        | grep -v '/index' | grep -Ev '\.(de|es|fr|it|ja|ko|lt|pt|pt_BR|ru|zh_CN|zh_TW)\.html$' \
        | while IFS= read -r f; do [ -f "$f" ] && printf '%s\0' "$f"; done | sort -zu | each_file render_html
}

source_dictionaries() {
    for d in devil foldoc jargon gcide; do zcat "/usr/share/dictd/$d.dict.dz"; printf '\n\n'; done
}

source_bible() {      # verses "Ge1:1 text" joined into one paragraph per chapter
    bible -f "Gen1:1-Rev22:21" | awk '
        { ref = $1; sub(/:[0-9]+$/, "", ref); $1 = "" }
        ref != chapter { if (NR > 1) printf "\n\n"; chapter = ref; sep = "" }
        { sub(/^ +/, ""); printf "%s%s", sep, $0; sep = " " }
        END { printf "\n" }'
}

install_missing
mkdir -p "$raw"
names=(bible-kjv debian-manuals dictionaries django-doc git-doc linux-doc perl-doc postgresql-doc python-doc)
funcs=(source_bible source_debian source_dictionaries source_django source_git source_kernel source_perl
       source_postgres source_python)
for i in "${!names[@]}"; do
    echo "make_corpus: ${names[$i]}" >&2
    "${funcs[$i]}" > "$raw/${names[$i]}.txt"
done
for n in "${names[@]}"; do cat "$raw/$n.txt"; done > "$out/corpus.txt"
/usr/bin/python3 "$here/news_docs.py" "$raw" "$out/news.txt" "$out/news.jsonl"
( cd "$out" && sha256sum corpus.txt news.txt news.jsonl raw/*.txt > SHA256SUMS )
ls -l "$out/corpus.txt" "$out/news.txt" "$out/news.jsonl"
