/*
 * js_meta.c — the drafts' meta-schemas, embedded so that "$ref" to them and
 * dbjson_schema_valid work without a network. Drafts 4, 6 and 7 follow their
 * published meta-schemas; 2019-09 and 2020-12, published as a set of
 * vocabulary documents joined by $recursiveRef / $dynamicRef, are each one
 * document here holding every keyword of the draft's vocabularies (the same
 * constraints on a schema, reached without the dynamic references).
 */
#include "jsonschema/js_private.h"

#include <string.h>

/* The meta-schemas as compact JSON text: clang-format would re-split them
 * differently on each run. */
/* clang-format off */
static const char meta_draft4[] =
	"{\"id\":\"http://json-schema.org/draft-04/schema#\",\"$schema\":\"http://json-schema.org/draft-04/schem"
	"a#\",\"definitions\":{\"schemaArray\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#\"}},\"positiveInt"
	"eger\":{\"type\":\"integer\",\"minimum\":0},\"positiveIntegerDefault0\":{\"allOf\":[{\"$ref\":\"#/definitions/"
	"positiveInteger\"},{\"default\":0}]},\"simpleTypes\":{\"enum\":[\"array\",\"boolean\",\"integer\",\"null\",\"num"
	"ber\",\"object\",\"string\"]},\"stringArray\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"uniqueItems\":t"
	"rue,\"minItems\":1}},\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"$schema\":{\"type\":\"strin"
	"g\"},\"title\":{\"type\":\"string\"},\"description\":{\"type\":\"string\"},\"default\":{},\"multipleOf\":{\"type\":"
	"\"number\",\"minimum\":0,\"exclusiveMinimum\":true},\"maximum\":{\"type\":\"number\"},\"exclusiveMaximum\":{\"t"
	"ype\":\"boolean\",\"default\":false},\"minimum\":{\"type\":\"number\"},\"exclusiveMinimum\":{\"type\":\"boolean\""
	",\"default\":false},\"maxLength\":{\"$ref\":\"#/definitions/positiveInteger\"},\"minLength\":{\"$ref\":\"#/de"
	"finitions/positiveIntegerDefault0\"},\"pattern\":{\"type\":\"string\",\"format\":\"regex\"},\"additionalItem"
	"s\":{\"anyOf\":[{\"type\":\"boolean\"},{\"$ref\":\"#\"}],\"default\":{}},\"items\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$re"
	"f\":\"#/definitions/schemaArray\"}],\"default\":{}},\"maxItems\":{\"$ref\":\"#/definitions/positiveInteger"
	"\"},\"minItems\":{\"$ref\":\"#/definitions/positiveIntegerDefault0\"},\"uniqueItems\":{\"type\":\"boolean\",\""
	"default\":false},\"maxProperties\":{\"$ref\":\"#/definitions/positiveInteger\"},\"minProperties\":{\"$ref\""
	":\"#/definitions/positiveIntegerDefault0\"},\"required\":{\"$ref\":\"#/definitions/stringArray\"},\"addit"
	"ionalProperties\":{\"anyOf\":[{\"type\":\"boolean\"},{\"$ref\":\"#\"}],\"default\":{}},\"definitions\":{\"type\":"
	"\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{}},\"properties\":{\"type\":\"object\",\"additi"
	"onalProperties\":{\"$ref\":\"#\"},\"default\":{}},\"patternProperties\":{\"type\":\"object\",\"additionalPrope"
	"rties\":{\"$ref\":\"#\"},\"default\":{}},\"dependencies\":{\"type\":\"object\",\"additionalProperties\":{\"anyOf"
	"\":[{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/stringArray\"}]}},\"enum\":{\"type\":\"array\",\"minItems\":1,\"uni"
	"queItems\":true},\"type\":{\"anyOf\":[{\"$ref\":\"#/definitions/simpleTypes\"},{\"type\":\"array\",\"items\":{\""
	"$ref\":\"#/definitions/simpleTypes\"},\"minItems\":1,\"uniqueItems\":true}]},\"format\":{\"type\":\"string\"}"
	",\"allOf\":{\"$ref\":\"#/definitions/schemaArray\"},\"anyOf\":{\"$ref\":\"#/definitions/schemaArray\"},\"oneO"
	"f\":{\"$ref\":\"#/definitions/schemaArray\"},\"not\":{\"$ref\":\"#\"}},\"dependencies\":{\"exclusiveMaximum\":["
	"\"maximum\"],\"exclusiveMinimum\":[\"minimum\"]},\"default\":{}}";

static const char meta_draft6[] =
	"{\"$id\":\"http://json-schema.org/draft-06/schema#\",\"$schema\":\"http://json-schema.org/draft-06/sche"
	"ma#\",\"definitions\":{\"schemaArray\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#\"}},\"nonNegativ"
	"eInteger\":{\"type\":\"integer\",\"minimum\":0},\"nonNegativeIntegerDefault0\":{\"allOf\":[{\"$ref\":\"#/defin"
	"itions/nonNegativeInteger\"},{\"default\":0}]},\"simpleTypes\":{\"enum\":[\"array\",\"boolean\",\"integer\",\""
	"null\",\"number\",\"object\",\"string\"]},\"stringArray\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"uniq"
	"ueItems\":true,\"default\":[]}},\"type\":[\"object\",\"boolean\"],\"properties\":{\"$id\":{\"type\":\"string\",\"f"
	"ormat\":\"uri-reference\"},\"$schema\":{\"type\":\"string\",\"format\":\"uri\"},\"title\":{\"type\":\"string\"},\"de"
	"scription\":{\"type\":\"string\"},\"default\":{},\"multipleOf\":{\"type\":\"number\",\"exclusiveMinimum\":0},\"m"
	"aximum\":{\"type\":\"number\"},\"exclusiveMaximum\":{\"type\":\"number\"},\"minimum\":{\"type\":\"number\"},\"excl"
	"usiveMinimum\":{\"type\":\"number\"},\"maxLength\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},\"minLeng"
	"th\":{\"$ref\":\"#/definitions/nonNegativeIntegerDefault0\"},\"pattern\":{\"type\":\"string\",\"format\":\"reg"
	"ex\"},\"additionalItems\":{\"$ref\":\"#\"},\"items\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/schema"
	"Array\"}],\"default\":{}},\"maxItems\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},\"minItems\":{\"$ref\""
	":\"#/definitions/nonNegativeIntegerDefault0\"},\"uniqueItems\":{\"type\":\"boolean\",\"default\":false},\"m"
	"axProperties\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},\"minProperties\":{\"$ref\":\"#/definitions"
	"/nonNegativeIntegerDefault0\"},\"required\":{\"$ref\":\"#/definitions/stringArray\"},\"additionalPropert"
	"ies\":{\"$ref\":\"#\"},\"definitions\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{"
	"}},\"properties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{}},\"patternPrope"
	"rties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{},\"propertyNames\":{\"forma"
	"t\":\"regex\"}},\"dependencies\":{\"type\":\"object\",\"additionalProperties\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$re"
	"f\":\"#/definitions/stringArray\"}]}},\"enum\":{\"type\":\"array\",\"items\":true},\"type\":{\"anyOf\":[{\"$ref\""
	":\"#/definitions/simpleTypes\"},{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/simpleTypes\"},\"minI"
	"tems\":1,\"uniqueItems\":true}]},\"format\":{\"type\":\"string\"},\"allOf\":{\"$ref\":\"#/definitions/schemaAr"
	"ray\"},\"anyOf\":{\"$ref\":\"#/definitions/schemaArray\"},\"oneOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
	"\"not\":{\"$ref\":\"#\"},\"$ref\":{\"type\":\"string\",\"format\":\"uri-reference\"},\"examples\":{\"type\":\"array\","
	"\"items\":{}},\"contains\":{\"$ref\":\"#\"},\"propertyNames\":{\"$ref\":\"#\"},\"const\":{}},\"default\":{}}";

static const char meta_draft7[] =
	"{\"$id\":\"http://json-schema.org/draft-07/schema#\",\"$schema\":\"http://json-schema.org/draft-07/sche"
	"ma#\",\"definitions\":{\"schemaArray\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#\"}},\"nonNegativ"
	"eInteger\":{\"type\":\"integer\",\"minimum\":0},\"nonNegativeIntegerDefault0\":{\"allOf\":[{\"$ref\":\"#/defin"
	"itions/nonNegativeInteger\"},{\"default\":0}]},\"simpleTypes\":{\"enum\":[\"array\",\"boolean\",\"integer\",\""
	"null\",\"number\",\"object\",\"string\"]},\"stringArray\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"uniq"
	"ueItems\":true,\"default\":[]}},\"type\":[\"object\",\"boolean\"],\"properties\":{\"$id\":{\"type\":\"string\",\"f"
	"ormat\":\"uri-reference\"},\"$schema\":{\"type\":\"string\",\"format\":\"uri\"},\"title\":{\"type\":\"string\"},\"de"
	"scription\":{\"type\":\"string\"},\"default\":{},\"multipleOf\":{\"type\":\"number\",\"exclusiveMinimum\":0},\"m"
	"aximum\":{\"type\":\"number\"},\"exclusiveMaximum\":{\"type\":\"number\"},\"minimum\":{\"type\":\"number\"},\"excl"
	"usiveMinimum\":{\"type\":\"number\"},\"maxLength\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},\"minLeng"
	"th\":{\"$ref\":\"#/definitions/nonNegativeIntegerDefault0\"},\"pattern\":{\"type\":\"string\",\"format\":\"reg"
	"ex\"},\"additionalItems\":{\"$ref\":\"#\"},\"items\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#/definitions/schema"
	"Array\"}],\"default\":{}},\"maxItems\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},\"minItems\":{\"$ref\""
	":\"#/definitions/nonNegativeIntegerDefault0\"},\"uniqueItems\":{\"type\":\"boolean\",\"default\":false},\"m"
	"axProperties\":{\"$ref\":\"#/definitions/nonNegativeInteger\"},\"minProperties\":{\"$ref\":\"#/definitions"
	"/nonNegativeIntegerDefault0\"},\"required\":{\"$ref\":\"#/definitions/stringArray\"},\"additionalPropert"
	"ies\":{\"$ref\":\"#\"},\"definitions\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{"
	"}},\"properties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{}},\"patternPrope"
	"rties\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{},\"propertyNames\":{\"forma"
	"t\":\"regex\"}},\"dependencies\":{\"type\":\"object\",\"additionalProperties\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$re"
	"f\":\"#/definitions/stringArray\"}]}},\"enum\":{\"type\":\"array\",\"items\":true},\"type\":{\"anyOf\":[{\"$ref\""
	":\"#/definitions/simpleTypes\"},{\"type\":\"array\",\"items\":{\"$ref\":\"#/definitions/simpleTypes\"},\"minI"
	"tems\":1,\"uniqueItems\":true}]},\"format\":{\"type\":\"string\"},\"allOf\":{\"$ref\":\"#/definitions/schemaAr"
	"ray\"},\"anyOf\":{\"$ref\":\"#/definitions/schemaArray\"},\"oneOf\":{\"$ref\":\"#/definitions/schemaArray\"},"
	"\"not\":{\"$ref\":\"#\"},\"$ref\":{\"type\":\"string\",\"format\":\"uri-reference\"},\"examples\":{\"type\":\"array\","
	"\"items\":{}},\"contains\":{\"$ref\":\"#\"},\"propertyNames\":{\"$ref\":\"#\"},\"const\":{},\"$comment\":{\"type\":\""
	"string\"},\"readOnly\":{\"type\":\"boolean\",\"default\":false},\"writeOnly\":{\"type\":\"boolean\",\"default\":f"
	"alse},\"contentMediaType\":{\"type\":\"string\"},\"contentEncoding\":{\"type\":\"string\"},\"if\":{\"$ref\":\"#\"}"
	",\"then\":{\"$ref\":\"#\"},\"else\":{\"$ref\":\"#\"}},\"default\":{}}";

/* Drafts 2019-09 and 2020-12 are each one combined document (see above);
 * they share every keyword but the few each draft renamed, so the shared
 * text is written once and each draft's document is assembled around it. */
#define META_2019_2020_SHARED \
	"\"$comment\":\"One document standing for the draft's vocabulary meta-schemas together.\",\"type\":[\"" \
	"object\",\"boolean\"],\"properties\":{\"$id\":{\"type\":\"string\",\"format\":\"uri-reference\",\"$c" \
	"omment\":\"no fragment\",\"pattern\":\"^[^#]*#?$\"},\"$schema\":{\"type\":\"string\",\"format\":\"ur" \
	"i\"},\"$ref\":{\"type\":\"string\",\"format\":\"uri-reference\"},\"$anchor\":{\"type\":\"string\",\"" \
	"pattern\":\"^[A-Za-z_][-A-Za-z0-9._]*$\"},\"$vocabulary\":{\"type\":\"object\",\"propertyNames\":{\"" \
	"type\":\"string\",\"format\":\"uri\"},\"additionalProperties\":{\"type\":\"boolean\"}},\"$comment\":" \
	"{\"type\":\"string\"},\"$defs\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"def" \
	"ault\":{}},\"allOf\":{\"$ref\":\"#/$defs/schemaArray\"},\"anyOf\":{\"$ref\":\"#/$defs/schemaArray\"}" \
	",\"oneOf\":{\"$ref\":\"#/$defs/schemaArray\"},\"not\":{\"$ref\":\"#\"},\"if\":{\"$ref\":\"#\"},\"the" \
	"n\":{\"$ref\":\"#\"},\"else\":{\"$ref\":\"#\"},\"dependentSchemas\":{\"type\":\"object\",\"additiona" \
	"lProperties\":{\"$ref\":\"#\"},\"default\":{}},\"contains\":{\"$ref\":\"#\"},\"properties\":{\"type\"" \
	":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{}},\"patternProperties\":{\"type\"" \
	":\"object\",\"additionalProperties\":{\"$ref\":\"#\"},\"default\":{},\"propertyNames\":{\"format\":\"" \
	"regex\"}},\"additionalProperties\":{\"$ref\":\"#\"},\"propertyNames\":{\"$ref\":\"#\"},\"unevaluated" \
	"Items\":{\"$ref\":\"#\"},\"unevaluatedProperties\":{\"$ref\":\"#\"},\"type\":{\"anyOf\":[{\"$ref\":\"" \
	"#/$defs/simpleTypes\"},{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/simpleTypes\"},\"minItems\"" \
	":1,\"uniqueItems\":true}]},\"const\":true,\"enum\":{\"type\":\"array\",\"items\":true},\"multipleOf\"" \
	":{\"type\":\"number\",\"exclusiveMinimum\":0},\"maximum\":{\"type\":\"number\"},\"exclusiveMaximum\"" \
	":{\"type\":\"number\"},\"minimum\":{\"type\":\"number\"},\"exclusiveMinimum\":{\"type\":\"number\"}," \
	"\"maxLength\":{\"$ref\":\"#/$defs/nonNegativeInteger\"},\"minLength\":{\"$ref\":\"#/$defs/nonNegativ" \
	"eIntegerDefault0\"},\"pattern\":{\"type\":\"string\",\"format\":\"regex\"},\"maxItems\":{\"$ref\":\"" \
	"#/$defs/nonNegativeInteger\"},\"minItems\":{\"$ref\":\"#/$defs/nonNegativeIntegerDefault0\"},\"uniqu" \
	"eItems\":{\"type\":\"boolean\",\"default\":false},\"maxContains\":{\"$ref\":\"#/$defs/nonNegativeInt" \
	"eger\"},\"minContains\":{\"$ref\":\"#/$defs/nonNegativeInteger\",\"default\":1},\"maxProperties\":{\"" \
	"$ref\":\"#/$defs/nonNegativeInteger\"},\"minProperties\":{\"$ref\":\"#/$defs/nonNegativeIntegerDefau" \
	"lt0\"},\"required\":{\"$ref\":\"#/$defs/stringArray\"},\"dependentRequired\":{\"type\":\"object\",\"" \
	"additionalProperties\":{\"$ref\":\"#/$defs/stringArray\"}},\"format\":{\"type\":\"string\"},\"title\"" \
	":{\"type\":\"string\"},\"description\":{\"type\":\"string\"},\"default\":true,\"deprecated\":{\"type" \
	"\":\"boolean\",\"default\":false},\"readOnly\":{\"type\":\"boolean\",\"default\":false},\"writeOnly\"" \
	":{\"type\":\"boolean\",\"default\":false},\"examples\":{\"type\":\"array\",\"items\":true},\"content" \
	"Encoding\":{\"type\":\"string\"},\"contentMediaType\":{\"type\":\"string\"},\"contentSchema\":{\"$re" \
	"f\":\"#\"},"

#define META_2019_2020_DEFS \
	",\"$defs\":{\"schemaArray\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"$ref\":\"#\"}},\"nonNega" \
	"tiveInteger\":{\"type\":\"integer\",\"minimum\":0},\"nonNegativeIntegerDefault0\":{\"$ref\":\"#/$def" \
	"s/nonNegativeInteger\",\"default\":0},\"simpleTypes\":{\"enum\":[\"array\",\"boolean\",\"integer\",\"" \
	"null\",\"number\",\"object\",\"string\"]},\"stringArray\":{\"type\":\"array\",\"items\":{\"type\":\"" \
	"string\"},\"uniqueItems\":true,\"default\":[]}}}"

static const char meta_draft2019[] =
	"{\"$schema\":\"https://json-schema.org/draft/2019-09/schema\",\"$id\":\"https://json-schema.org/draf"
	"t/2019-09/schema\","
	META_2019_2020_SHARED
	"\"$recursiveRef\":{\"type\":\"string\",\"format\":\"uri-reference\"},\"$recursiveAnchor\":{\"type\":"
	"\"boolean\",\"default\":false},\"items\":{\"anyOf\":[{\"$ref\":\"#\"},{\"$ref\":\"#/$defs/schemaArra"
	"y\"}]},\"additionalItems\":{\"$ref\":\"#\"}}"
	META_2019_2020_DEFS;

static const char meta_draft2020[] =
	"{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"$id\":\"https://json-schema.org/draf"
	"t/2020-12/schema\","
	META_2019_2020_SHARED
	"\"$dynamicRef\":{\"type\":\"string\",\"format\":\"uri-reference\"},\"$dynamicAnchor\":{\"type\":\"st"
	"ring\",\"pattern\":\"^[A-Za-z_][-A-Za-z0-9._]*$\"},\"prefixItems\":{\"$ref\":\"#/$defs/schemaArray\""
	"},\"items\":{\"$ref\":\"#\"}}"
	META_2019_2020_DEFS;

/* clang-format on */

static const struct {
	const char *uri; /* without fragment */
	dbc_js_draft draft;
	const char *text;
} metas[] = {
    {"http://json-schema.org/draft-04/schema", DBC_JS_DRAFT4, meta_draft4},
    {"http://json-schema.org/draft-06/schema", DBC_JS_DRAFT6, meta_draft6},
    {"http://json-schema.org/draft-07/schema", DBC_JS_DRAFT7, meta_draft7},
    {"https://json-schema.org/draft/2019-09/schema", DBC_JS_DRAFT2019, meta_draft2019},
    {"https://json-schema.org/draft/2020-12/schema", DBC_JS_DRAFT2020, meta_draft2020},
};
#define NMETA (sizeof metas / sizeof metas[0])

/* uri equals the meta-schema's, give or take an empty fragment and the
 * scheme (http and https name the same published documents). */
static bool same_uri(const char *uri, const char *meta)
{
	const char *u = strchr(uri, ':'), *m = strchr(meta, ':');
	if (!u || !m)
		return false;
	size_t n = strlen(m);
	return !strncmp(u, m, n) && (u[n] == '\0' || (u[n] == '#' && u[n + 1] == '\0'));
}

bool dbc_js_draft_of_uri(const char *uri, dbc_js_draft *draft)
{
	for (size_t i = 0; i < NMETA; i++)
		if (same_uri(uri, metas[i].uri)) {
			*draft = metas[i].draft;
			return true;
		}
	return false;
}

const char *dbc_js_meta_uri(dbc_js_draft draft)
{
	for (size_t i = 0; i < NMETA; i++)
		if (metas[i].draft == draft)
			return metas[i].uri;
	return metas[NMETA - 1].uri;
}

const char *dbc_js_meta_text(const char *uri, dbc_js_draft *draft)
{
	for (size_t i = 0; i < NMETA; i++)
		if (same_uri(uri, metas[i].uri)) {
			*draft = metas[i].draft;
			return metas[i].text;
		}
	return NULL;
}
