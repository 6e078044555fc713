/* docs/JSON.md's `doc` and `para` objects (see report.h). */
#include <string.h>
#include "json.h"
#include "report.h"

void cli_view_of_corpus(const nd_corpus *c, size_t i, cli_view *v)
{
    nd_doc_info info = ND_DOC_INFO_INIT;
    memset(v, 0, sizeof *v);
    nd_corpus_doc(c, i, &info);
    v->paragraphs = info.paragraphs;
    v->repeats = info.repeats;
    v->boilerplate = info.boilerplate;
    if (info.duplicate_of != ND_NONE) {
        nd_corpus_doc_id(c, info.duplicate_of, &v->dup_id, &v->dup_len);
        v->similarity = info.similarity;
        v->containment = info.containment;
    }
    nd_corpus_doc_id(c, info.cluster, &v->cl_id, &v->cl_len);
    v->has_site = 1;
    if (info.site != ND_NONE) nd_corpus_doc_id(c, info.site, &v->site_id, &v->site_len);
}

void cli_view_of_stream(const nd_stream_doc *s, cli_view *v)
{
    memset(v, 0, sizeof *v);
    v->paragraphs = s->paragraphs;
    v->repeats = s->repeats;
    v->boilerplate = s->boilerplate;
    v->dup_id = s->duplicate_id;
    v->dup_len = s->duplicate_id_len;
    v->similarity = s->similarity;
    v->containment = s->containment;
    v->cl_id = s->cluster_id;
    v->cl_len = s->cluster_id_len;
    v->has_site = 1;
    v->site_id = s->site_id;
    v->site_len = s->site_id_len;
}

void cli_para_of_corpus(const nd_corpus *c, size_t i, size_t j, nd_para_info *p, const char **of_id,
                        size_t *of_len)
{
    nd_corpus_para(c, i, j, p);
    nd_corpus_doc_id(c, p->of_doc, of_id, of_len);
}

void cli_report_doc(FILE *f, const cli_doc *d, const cli_view *v)
{
    fputs("{\"type\":\"doc\",\"doc\":", f);
    cli_json_write_string(f, d->id, d->id_len);
    fputs(",\"source\":", f);
    cli_json_write_string(f, d->source, d->source_len);
    if (v->has_site) {
        fputs(",\"site\":", f);
        if (v->site_id) cli_json_write_string(f, v->site_id, v->site_len);
        else fputs("null", f);
    }
    fputs(",\"paragraphs\":", f);
    cli_json_write_size(f, v->paragraphs);
    fputs(",\"repeats\":", f);
    cli_json_write_size(f, v->repeats);
    fputs(",\"boilerplate\":", f);
    cli_json_write_size(f, v->boilerplate);
    fputs(",\"duplicate_of\":", f);
    if (!v->dup_id) {
        fputs("null", f);
    } else {
        cli_json_write_string(f, v->dup_id, v->dup_len);
        fputs(",\"similarity\":", f);
        cli_json_write_double(f, v->similarity, 4);
        fputs(",\"containment\":", f);
        cli_json_write_double(f, v->containment, 4);
    }
    fputs(",\"cluster\":", f);
    cli_json_write_string(f, v->cl_id, v->cl_len);
    if (d->url) {
        fputs(",\"url\":", f);
        cli_json_write_string(f, d->url, d->url_len);
    }
    if (d->has_warc) { /* where the document's WARC record is */
        if (d->warc_record_id) {
            fputs(",\"warc_record_id\":", f);
            cli_json_write_string(f, d->warc_record_id, d->warc_record_id_len);
        }
        fputs(",\"warc_offset\":", f);
        cli_json_write_size(f, (size_t)d->warc_offset);
    }
    fputs("}\n", f);
}

void cli_report_para(FILE *f, const cli_doc *d, size_t i, const nd_para_info *p, const char *of_id,
                     size_t of_len, const cli_html_hint *hint)
{
    fputs("{\"type\":\"para\",\"doc\":", f);
    cli_json_write_string(f, d->id, d->id_len);
    fputs(",\"index\":", f);
    cli_json_write_size(f, i);
    fputs(",\"offset\":", f);
    cli_json_write_size(f, p->offset);
    fputs(",\"length\":", f);
    cli_json_write_size(f, p->length);
    fputs(",\"kind\":\"", f);
    fputs(nd_kind_name(p->kind), f);
    fputc('"', f);
    if (p->kind != ND_KIND_CONTENT) {
        fputs(",\"of\":{\"doc\":", f);
        cli_json_write_string(f, of_id, of_len);
        fputs(",\"index\":", f);
        cli_json_write_size(f, p->of);
        fputs("},\"similarity\":", f);
        cli_json_write_double(f, p->similarity, 4);
    }
    if (hint) {
        const char *lm = nd_landmark_name(hint->landmark);
        fputs(",\"html_span\":[", f);
        cli_json_write_size(f, hint->src_offset);
        fputc(',', f);
        cli_json_write_size(f, hint->src_length);
        fputs("],\"landmark\":", f);
        if (lm) fprintf(f, "\"%s\"", lm);
        else fputs("null", f);
        fputs(",\"link_density\":", f);
        cli_json_write_double(f, hint->link_density, 2);
    }
    fputs("}\n", f);
}
