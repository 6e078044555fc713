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
    cli_out o;
    cli_out_init(&o, f);
    cli_out_str(&o, "{\"type\":\"doc\",\"doc\":");
    cli_out_json_string(&o, d->id, d->id_len);
    cli_out_str(&o, ",\"source\":");
    cli_out_json_string(&o, d->source, d->source_len);
    if (v->has_site) {
        cli_out_str(&o, ",\"site\":");
        if (v->site_id) cli_out_json_string(&o, v->site_id, v->site_len);
        else cli_out_str(&o, "null");
    }
    cli_out_str(&o, ",\"paragraphs\":");
    cli_out_size(&o, v->paragraphs);
    cli_out_str(&o, ",\"repeats\":");
    cli_out_size(&o, v->repeats);
    cli_out_str(&o, ",\"boilerplate\":");
    cli_out_size(&o, v->boilerplate);
    cli_out_str(&o, ",\"duplicate_of\":");
    if (!v->dup_id) {
        cli_out_str(&o, "null");
    } else {
        cli_out_json_string(&o, v->dup_id, v->dup_len);
        cli_out_str(&o, ",\"similarity\":");
        cli_out_double(&o, v->similarity, 4);
        cli_out_str(&o, ",\"containment\":");
        cli_out_double(&o, v->containment, 4);
    }
    cli_out_str(&o, ",\"cluster\":");
    cli_out_json_string(&o, v->cl_id, v->cl_len);
    if (d->url) {
        cli_out_str(&o, ",\"url\":");
        cli_out_json_string(&o, d->url, d->url_len);
    }
    if (d->has_warc) { /* where the document's WARC record is */
        if (d->warc_record_id) {
            cli_out_str(&o, ",\"warc_record_id\":");
            cli_out_json_string(&o, d->warc_record_id, d->warc_record_id_len);
        }
        cli_out_str(&o, ",\"warc_offset\":");
        cli_out_size(&o, (size_t)d->warc_offset);
    }
    cli_out_str(&o, "}\n");
    (void)cli_out_end(&o); /* the caller checks the stream */
}

void cli_report_para(FILE *f, const cli_doc *d, size_t i, const nd_para_info *p, const char *of_id,
                     size_t of_len, const cli_html_hint *hint)
{
    cli_out o;
    cli_out_init(&o, f);
    cli_out_str(&o, "{\"type\":\"para\",\"doc\":");
    cli_out_json_string(&o, d->id, d->id_len);
    cli_out_str(&o, ",\"index\":");
    cli_out_size(&o, i);
    cli_out_str(&o, ",\"offset\":");
    cli_out_size(&o, p->offset);
    cli_out_str(&o, ",\"length\":");
    cli_out_size(&o, p->length);
    cli_out_str(&o, ",\"kind\":\"");
    cli_out_str(&o, nd_kind_name(p->kind));
    cli_out_bytes(&o, "\"", 1);
    if (p->kind != ND_KIND_CONTENT) {
        cli_out_str(&o, ",\"of\":{\"doc\":");
        cli_out_json_string(&o, of_id, of_len);
        cli_out_str(&o, ",\"index\":");
        cli_out_size(&o, p->of);
        cli_out_str(&o, "},\"similarity\":");
        cli_out_double(&o, p->similarity, 4);
    }
    if (hint) {
        const char *lm = nd_landmark_name(hint->landmark);
        cli_out_str(&o, ",\"html_span\":[");
        cli_out_size(&o, hint->src_offset);
        cli_out_bytes(&o, ",", 1);
        cli_out_size(&o, hint->src_length);
        cli_out_str(&o, "],\"landmark\":");
        if (lm) {
            cli_out_bytes(&o, "\"", 1);
            cli_out_str(&o, lm);
            cli_out_bytes(&o, "\"", 1);
        } else {
            cli_out_str(&o, "null");
        }
        cli_out_str(&o, ",\"link_density\":");
        cli_out_double(&o, hint->link_density, 2);
    }
    cli_out_str(&o, "}\n");
    (void)cli_out_end(&o); /* the caller checks the stream */
}
