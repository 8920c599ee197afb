// The Jinja engine construct by construct: whitespace handling, statements,
// scoping, values, filters, error messages with line and column, and the
// limits that keep a hostile template from hanging or exhausting memory.
// (Byte-for-byte agreement with Jinja2 is chat_template_test's golden data.)
#include "common/error.h"
#include "generate/jinja.h"
#include "test_support.h"

namespace llamafast {
namespace {

using jinja::Dict;
using jinja::Value;

// Renders `source` with variables given as JSON text.
std::string render(std::string_view source, std::string_view variables_json = "{}", jinja::RenderOptions options = {}) {
  const jinja::Template t(source, "t");
  return t.render(jinja::from_json(variables_json).as_dict(), options);
}

// The message of the Error that rendering `source` throws ("" if none).
std::string error_of(std::string_view source, jinja::RenderOptions options = {}) {
  try {
    render(source, "{}", options);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), StatusCode::invalid_input);
    return e.what();
  }
  ADD_FAILURE() << "no error from: " << source;
  return "";
}

bool contains(const std::string& haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

TEST(JinjaRender, TextAndExpressions) {
  EXPECT_EQ(render("Hello {{ name }}!", R"({"name": "World"})"), "Hello World!");
  EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ 'a' ~ 1 }} {{ [1, 'b'] }} {{ {'k': none} }}"), "7 a1 [1, 'b'] {'k': None}");
}

TEST(JinjaRender, UndefinedRendersEmptyIsFalsyAndHasUndefinedAttributes) {
  EXPECT_EQ(render("[{{ missing }}][{{ missing.attr }}][{{ missing['k'] }}]"), "[][][]");
  EXPECT_EQ(render("{% if missing %}yes{% else %}no{% endif %}"), "no");
  EXPECT_EQ(render("{{ missing is defined }} {{ missing.attr is defined }} {{ missing|default('d') }}"), "False False d");
  EXPECT_EQ(render("{% for x in missing %}x{% else %}empty{% endfor %}"), "empty");
}

TEST(JinjaRender, ArithmeticOnUndefinedNamesTheVariable) {
  EXPECT_TRUE(contains(error_of("{{ missing + 1 }}"), "'missing' is undefined"));
  EXPECT_TRUE(contains(error_of("{{ m.content + 1 }}"), "'m.content' is undefined"));
}

TEST(JinjaWhitespace, TrimBlocksDropsTheNewlineAfterABlockTag) {
  EXPECT_EQ(render("{% if true %}\nx\n{% endif %}\ny"), "x\ny");
}

TEST(JinjaWhitespace, LstripBlocksDropsIndentBeforeABlockTagOnly) {
  EXPECT_EQ(render("a\n    {% if true %}b{% endif %}\n  {{ 'c' }}"), "a\nb  c");
  EXPECT_EQ(render("x {% if true %}b{% endif %}"), "x b");  // not at a line start
}

TEST(JinjaWhitespace, MinusStripsAndPlusKeeps) {
  EXPECT_EQ(render("a \n {{- 'b' -}} \n c"), "abc");
  EXPECT_EQ(render("a\n  {%+ if true %}b{% endif +%}\nc"), "a\n  b\nc");
}

TEST(JinjaWhitespace, OneTrailingNewlineOfTheSourceIsDropped) {
  EXPECT_EQ(render("x\n\n"), "x\n");
  EXPECT_EQ(render("a\r\nb\r\n"), "a\nb");
}

TEST(JinjaStatements, CommentsVanishAndRawIsLiteral) {
  EXPECT_EQ(render("a{# {{ x }} #}b{% raw %}{{ x }}{% if %}{% endraw %}"), "ab{{ x }}{% if %}");
}

TEST(JinjaStatements, IfElifElse) {
  EXPECT_EQ(render("{% for x in [1, 2, 3] %}{% if x == 1 %}a{% elif x == 2 %}b{% else %}c{% endif %}{% endfor %}"), "abc");
}

TEST(JinjaStatements, ForLoopVariables) {
  EXPECT_EQ(render("{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}"
                   "{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('+', '-') }};{% endfor %}"),
            "103TrueFalse3b+;212FalseFalse3ac-;321FalseTrue3b+;");
}

TEST(JinjaStatements, ForWithUnpackingFilterElseBreakContinue) {
  EXPECT_EQ(render("{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}", R"({"d": {"a": 1, "b": 2}})"), "a1b2");
  EXPECT_EQ(render("{% for x in range(6) if x is odd %}{{ x }}/{{ loop.length }} {% endfor %}"), "1/3 3/3 5/3 ");
  EXPECT_EQ(render("{% for x in [] %}x{% else %}none{% endfor %}"), "none");
  EXPECT_EQ(render("{% for i in range(9) %}{% if i == 1 %}{% continue %}{% elif i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
            "02");
}

TEST(JinjaStatements, SetInsideALoopStaysInTheLoopButNamespacesCarryOut) {
  EXPECT_EQ(render("{% set x = 0 %}{% for i in [1, 2] %}{{ x }}{% set x = i %}{{ x }}{% endfor %}{{ x }}"), "01020");
  EXPECT_EQ(render("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}"),
            "6");
  EXPECT_TRUE(contains(error_of("{% set x = 1 %}{% set x.a = 2 %}"), "cannot assign attribute on non-namespace object"));
}

TEST(JinjaStatements, SetBlockMacroAndGeneration) {
  EXPECT_EQ(render("{% set b %}<{{ 1 }}>{% endset %}{{ b }}{{ b|length }}"), "<1>3");
  EXPECT_EQ(render("{% macro m(a, b='B') %}{{ a }}{{ b }}{% endmacro %}{{ m(1) }}{{ m(2, b=3) }}{{ m(b=4, a=5) }}"), "1B2354");
  EXPECT_EQ(render("{% generation %}kept{% endgeneration %}"), "kept");
}

TEST(JinjaValues, FloatsPrintAsPythonReprs) {
  EXPECT_EQ(render("{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1e-5 }} {{ 0.0001 }} {{ 7 / 2 }} {{ -0.0 }}"),
            "1.0 0.30000000000000004 1e+16 1000000000000000.0 1e-05 0.0001 3.5 -0.0");
}

TEST(JinjaValues, StringsIndexSliceAndCountByCodePoint) {
  EXPECT_EQ(render("{{ s|length }} {{ s[1] }} {{ s[::-1] }} {{ s[1:3] }}", R"({"s": "h\u00e9\u4f60o"})"),
            "4 \xc3\xa9 o\xe4\xbd\xa0\xc3\xa9h \xc3\xa9\xe4\xbd\xa0");
}

TEST(JinjaValues, ReprQuotesLikePython) {
  EXPECT_EQ(render(R"({{ ["it's", 'say "x"', 'a\nb'] }})"), R"(["it's", 'say "x"', 'a\nb'])");
}

TEST(JinjaFilters, TojsonIsPythonJsonDumps) {
  EXPECT_EQ(render("{{ v|tojson }}", R"({"v": {"a": [1, 2.0, null, true, "\u00e9\n\"\u0001"]}})"),
            "{\"a\": [1, 2.0, null, true, \"\xc3\xa9\\n\\\"\\u0001\"]}");
  EXPECT_EQ(render("{{ v|tojson(indent=2) }}", R"({"v": {"a": [1, {}], "b": []}})"),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}");
  EXPECT_EQ(render("{{ 'é'|tojson(ensure_ascii=true) }} {{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}"),
            "\"\\u00e9\" {\"a\": 2, \"b\": 1}");
  EXPECT_TRUE(contains(error_of("{{ missing|tojson }}"), "not JSON serializable"));
}

TEST(JinjaFilters, TextFilters) {
  EXPECT_EQ(render("[{{ '  a b \n'|trim }}] {{ 'ab'|upper }} {{ 'AB'|lower }} {{ 'hi there'|title }} {{ 'hI'|capitalize }}"),
            "[a b] AB ab Hi There Hi");
  EXPECT_EQ(render("{{ 'a-b-c'|replace('-', '+') }} {{ 'a\nb'|indent(2) }} {{ 3|string }} {{ '7'|int + 1 }} {{ '2.5'|float }}"),
            "a+b+c a\n  b 3 8 2.5");
}

TEST(JinjaFilters, SequenceFilters) {
  const std::string vars = R"({"p": [{"n": "b", "a": 2}, {"n": "a", "a": 1, "t": true}]})";
  EXPECT_EQ(render("{{ [3, 1, 2]|sort|join(',') }} {{ p|map(attribute='n')|join }} {{ p|selectattr('t')|list|length }}"
                   " {{ p|rejectattr('t')|first }} {{ p|sort(attribute='a')|first }} {{ [1, 1, 2]|unique|list }}",
                   vars),
            "1,2,3 ba 1 {'n': 'b', 'a': 2} {'n': 'a', 'a': 1, 't': True} [1, 2]");
  EXPECT_EQ(render("{{ [1, 2, 3]|first }}{{ [1, 2, 3]|last }}{{ [1, 2, 3]|length }}{{ [1, 2, 3]|sum }}{{ {'a': 1}|items|list }}"),
            "1336[('a', 1)]");
}

TEST(JinjaTests, DefinedNoneStringNumberMappingIterableSequence) {
  EXPECT_EQ(render("{{ x is defined }}{{ y is not defined }}{{ n is none }}{{ 'a' is string }}{{ 1.5 is number }}"
                   "{{ {} is mapping }}{{ [] is iterable }}{{ 'a' is sequence }}{{ true is boolean }}{{ 3 is odd }}",
                   R"({"x": 0, "n": null})"),
            "TrueTrueTrueTrueTrueTrueTrueTrueTrueTrue");
}

TEST(JinjaMethods, StringAndDictMethods) {
  EXPECT_EQ(render("[{{ ' a '.strip() }}] {{ 'a,b'.split(',') }} {{ 'abc'.startswith('a') }} {{ 'abc'.endswith('x') }}"
                   " {{ 'Ab'.upper() }}{{ 'Ab'.lower() }} {{ '{}-{}'.format(1, 2) }} {{ d.get('k') }} {{ d.get('z', 0) }}"
                   " {{ d.keys()|list }}",
                   R"({"d": {"k": "v"}})"),
            "[a] ['a', 'b'] True False ABab 1-2 v 0 ['k']");
}

TEST(JinjaGlobals, RangeNamespaceDictAndStrftimeNow) {
  jinja::RenderOptions options;
  std::tm t{};
  t.tm_year = 2024 - 1900;
  t.tm_mon = 6;
  t.tm_mday = 26;
  options.now = t;
  EXPECT_EQ(render("{{ range(3)|list }} {{ range(1, 6, 2)|list }} {{ namespace(a=1).a }} {{ dict(k=2) }} "
                   "{{ strftime_now('%d %b %Y, a %A') }}",
                   "{}", options),
            "[0, 1, 2] [1, 3, 5] 1 {'k': 2} 26 Jul 2024, a Friday");
}

TEST(JinjaErrors, RaiseExceptionCarriesTheMessage) {
  const std::string e = error_of("ok\n  {{ raise_exception('Roles must alternate!') }}");
  EXPECT_EQ(e, "t:2:6: Roles must alternate!");  // where the call is
}

TEST(JinjaErrors, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(error_of("line one\n{{ 1 + }}"), "t:2:8: expected an expression, got '}}'");
  EXPECT_EQ(error_of("{% if x %}\nabc"),
            "t:2:4: unexpected end of template: the 'if' block opened at line 1 is never closed (expected 'elif', 'else' or 'endif')");
  EXPECT_EQ(error_of("{% if x %}{% endfor %}"),
            "t:1:14: unexpected 'endfor': the innermost open block is 'if' (line 1), which expects 'elif', 'else' or 'endif'");
  EXPECT_EQ(error_of("{% frobnicate %}"), "t:1:4: unknown tag 'frobnicate'");
  EXPECT_EQ(error_of("{{ 'abc }}"), "t:1:4: unterminated string literal");
  EXPECT_EQ(error_of("{{ x "), "t:1:1: tag '{{' is never closed with '}}'");
  EXPECT_EQ(error_of("{# x"), "t:1:1: unterminated comment: missing '#}'");
  EXPECT_EQ(error_of("{% break %}"), "t:1:4: 'break' outside of a for loop");
}

TEST(JinjaErrors, UnknownFiltersAndTestsAreSyntaxErrors) {
  EXPECT_EQ(error_of("{% if false %}{{ x|frobnicate }}{% endif %}"), "t:1:20: unknown filter 'frobnicate'");
  EXPECT_EQ(error_of("{{ x is frobnicated }}"), "t:1:9: unknown test 'frobnicated'");
}

TEST(JinjaErrors, TypeErrorsNameTheOperation) {
  EXPECT_EQ(error_of("{{ 'x' + 1 }}"), "t:1:8: unsupported operand type(s) for +: 'str' and 'int'");
  EXPECT_EQ(error_of("{{ 1 < 'a' }}"), "t:1:4: '<' not supported between instances of 'int' and 'str'");
  EXPECT_EQ(error_of("{{ 1 // 0 }}"), "t:1:6: integer division or modulo by zero");
  EXPECT_EQ(error_of("{{ 9223372036854775807 + 1 }}"), "t:1:24: integer overflow (values beyond 64 bits are not supported)");
  EXPECT_TRUE(contains(error_of("{{ 'abc'|join(1, 2, 3) }}"), "join() takes at most 2 arguments"));
  EXPECT_TRUE(contains(error_of("{{ none() }}"), "'NoneType' object is not callable"));
}

TEST(JinjaLimits, OutputCapStopsRunawayOutput) {
  jinja::RenderOptions options;
  options.limits.max_output_bytes = 1000;
  EXPECT_TRUE(contains(error_of("{% for i in range(100) %}{{ 'x' * 20 }}{% endfor %}", options), "output longer than the 1000-byte limit"));
  EXPECT_EQ(render("{% for i in range(10) %}{{ 'x' * 20 }}{% endfor %}", "{}", options).size(), 200u);
}

TEST(JinjaLimits, DefaultOutputCapIs16MiB) {
  EXPECT_TRUE(contains(error_of("{% for i in range(20) %}{{ 'x' * 1000000 }}{% endfor %}"), "output longer than"));
}

TEST(JinjaLimits, LoopIterationsAreCapped) {
  jinja::RenderOptions options;
  options.limits.max_loop_iterations = 1000;
  EXPECT_TRUE(contains(error_of("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", options),
                       "more than 1000 loop iterations"));
  EXPECT_TRUE(contains(error_of("{{ range(100001)|length }}"), "Range too big"));
}

TEST(JinjaLimits, WorkIsCappedSoQuadraticTemplatesStop) {
  jinja::RenderOptions options;
  options.limits.max_work = 1'000'000;
  const std::string e = error_of(
      "{% set ns = namespace(s='x' * 100000) %}{% for i in range(1000) %}{% set ns.t = ns.s|upper %}{% endfor %}", options);
  EXPECT_TRUE(contains(e, "work limit")) << e;
}

TEST(JinjaLimits, HugeStringsAndListsAreRefusedBeforeAllocation) {
  EXPECT_TRUE(contains(error_of("{{ 'ab' * 9000000000000000000 }}"), "string longer than the 64 MiB limit"));
  EXPECT_TRUE(contains(error_of("{{ [1, 2] * 9000000000000000000 }}"), "list longer than"));
  EXPECT_TRUE(contains(error_of("{{ 'a'|center(9000000000000000000) }}"), "string longer than"));
}

TEST(JinjaLimits, DeepNestingIsASyntaxErrorNotAStackOverflow) {
  EXPECT_TRUE(contains(error_of("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}"), "nests more than"));
  std::string ifs;
  for (int i = 0; i < 1000; ++i) ifs += "{% if true %}";
  EXPECT_TRUE(contains(error_of(ifs), "nests more than"));
  std::string sum = "{{ 1";
  for (int i = 0; i < 100000; ++i) sum += " + 1";
  EXPECT_TRUE(contains(error_of(sum + " }}"), "nests more than"));
}

TEST(JinjaLimits, RecursiveMacrosAndSelfNestingValuesStop) {
  EXPECT_TRUE(contains(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"), "macro calls nest more than"));
  EXPECT_TRUE(contains(error_of("{% set ns = namespace(x=[]) %}{% for i in range(1000) %}{% set ns.x = [ns.x] %}{% endfor %}"),
                       "nested more than"));
  EXPECT_TRUE(contains(error_of("{% set ns = namespace() %}{% set ns.me = [ns] %}"), "cannot hold another namespace"));
}

TEST(JinjaJson, FromJsonKeepsKeyOrderAndTypes) {
  const Value v = jinja::from_json(R"({"z": 1, "a": [1.0, "s", null, false]})");
  ASSERT_TRUE(v.is_dict());
  EXPECT_EQ(v.as_dict().entries[0].first, "z");
  EXPECT_EQ(jinja::repr(v), "{'z': 1, 'a': [1.0, 's', None, False]}");
  EXPECT_THROW(jinja::from_json("{bad"), Error);
}

TEST(JinjaTemplate, RendersRepeatedlyWithDifferentVariables) {
  const jinja::Template t("{{ x }}", "t");
  Dict a, b;
  a.set("x", Value(1));
  b.set("x", Value("two"));
  EXPECT_EQ(t.render(a), "1");
  EXPECT_EQ(t.render(b), "two");
}

}  // namespace
}  // namespace llamafast
