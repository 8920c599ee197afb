#!/usr/bin/env python3
"""Writes the chat-template golden data: tests/fixtures/chat/expected.json.

Every case is rendered by the real Jinja2 engine the way Hugging Face's
apply_chat_template renders chat templates: an ImmutableSandboxedEnvironment
with trim_blocks, lstrip_blocks and the loopcontrols extension, |tojson as
json.dumps(ensure_ascii=False, ...), and the raise_exception and
strftime_now globals (strftime_now formats the fixed date FIXED_NOW). A chat
render passes messages, tools=None, documents=None, add_generation_prompt,
bos_token and eos_token.

Templates: the Llama 3 template of ../shared/tokenizers/llama3 (its text is
copied into the output, so the C++ test needs no ../shared), the templates
under tests/fixtures/chat/templates/, and small feature templates defined
below that cover every construct the C++ engine implements.

Output: {"now": [y, m, d, H, M, S], "templates": {name: source},
"cases": [{"name", "template", "chat": bool, "context": {...},
"expected": text} or {..., "error": message}]}. A "chat" case's context is
exactly what ChatTemplate::render builds from role/content messages.

Needs python3-jinja2 (Debian). Deterministic: the output depends only on
the inputs. Usage: gen_chat_expected.py [--shared DIR] [--out PATH]
"""
import argparse
import datetime
import json
import os
import sys

import jinja2
from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHAT_DIR = os.path.join(REPO, "tests", "fixtures", "chat")
FIXED_NOW = datetime.datetime(2024, 7, 26, 14, 5, 9)

# name -> (bos_token, eos_token) for the file templates.
TEMPLATE_TOKENS = {
    "llama3_official": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama3": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama31": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama32": ("<|begin_of_text|>", "<|eot_id|>"),
    "llama2": ("<s>", "</s>"),
    "mistral": ("<s>", "</s>"),
    "zephyr": ("<s>", "</s>"),
    "chatml": ("", "<|im_end|>"),
}

UNICODE = "¿Qué tal? 你好 👋 Ünïcödé — naïve café, Ελληνικά, русский, עברית, 🇺🇳 e\u0301"
SPECIAL = "<|eot_id|><|start_header_id|>system<|end_header_id|>\n\n[INST] <<SYS>> </s><s> <|im_end|>"

CONVERSATIONS = {
    "user_only": [{"role": "user", "content": "Hello!"}],
    "system_user": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ],
    "multi_turn_system": [
        {"role": "system", "content": "Answer briefly."},
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."},
    ],
    "multi_turn_ends_with_assistant": [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3+3?"},
        {"role": "assistant", "content": "6"},
    ],
    "long_multi_turn": [
        {"role": "system", "content": "Be terse."},
        {"role": "user", "content": "one"},
        {"role": "assistant", "content": "1"},
        {"role": "user", "content": "two"},
        {"role": "assistant", "content": "2"},
        {"role": "user", "content": "three"},
        {"role": "assistant", "content": "3"},
        {"role": "user", "content": "four"},
    ],
    "unicode": [
        {"role": "system", "content": UNICODE},
        {"role": "user", "content": UNICODE + " ?"},
        {"role": "assistant", "content": "Ответ: 42 ✓"},
        {"role": "user", "content": "日本語でお願いします"},
    ],
    "special_token_text": [
        {"role": "user", "content": SPECIAL},
        {"role": "assistant", "content": "<|begin_of_text|> </s>"},
        {"role": "user", "content": "[/INST] <|user|>"},
    ],
    "template_syntax_in_content": [
        {"role": "user", "content": "{{ not a tag }} {% if x %} {# nor a comment #}"},
    ],
    "empty_content": [
        {"role": "user", "content": ""},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": ""},
    ],
    "whitespace_content": [
        {"role": "system", "content": "  \n system with spaces \n\n"},
        {"role": "user", "content": "\t padded question \n"},
        {"role": "assistant", "content": "\n\nanswer\n\n"},
        {"role": "user", "content": "   "},
    ],
    "quotes_and_escapes": [
        {"role": "user", "content": "She said \"hi\" and 'bye' \\ back\\slash\ttab\r\nCRLF"},
    ],
    "system_only": [{"role": "system", "content": "Only a system prompt."}],
    "two_users_in_a_row": [
        {"role": "user", "content": "first"},
        {"role": "user", "content": "second"},
    ],
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_current_weather",
        "description": "Get the current weather in a city — with \"quotes\" and ünïcode",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "City, e.g. San Francisco, CA"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7.5},
                "flags": {"type": "array", "items": {}, "default": []},
                "strict": {"type": "boolean", "default": True, "nullable": None},
            },
            "required": ["location"],
        },
    },
}

TOOL_CALL_MESSAGES = [
    {"role": "system", "content": "You can call tools."},
    {"role": "user", "content": "Weather in Paris?"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"type": "function", "function": {"name": "get_current_weather", "arguments": {"location": "Paris", "days": 2}}}
        ],
    },
    {"role": "tool", "content": {"temperature": 21.5, "sky": "clear"}},
    {"role": "ipython", "content": "plain text result"},
    {"role": "user", "content": "Thanks"},
]

BUILTIN_TOOL_MESSAGES = [
    {"role": "user", "content": "Search the news"},
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"function": {"name": "brave_search", "arguments": {"query": "llama news", "count": "3"}}}],
    },
]

# Non-chat renders of the file templates: extra variables, structured messages.
EXTRA_CASES = [
    ("llama31", "tools_in_user_message", {"messages": CONVERSATIONS["system_user"], "tools": [WEATHER_TOOL]}),
    ("llama31", "tools_in_system", {"messages": CONVERSATIONS["system_user"], "tools": [WEATHER_TOOL],
                                    "tools_in_user_message": False}),
    ("llama31", "custom_tools_and_date", {"messages": CONVERSATIONS["multi_turn_system"], "custom_tools": [WEATHER_TOOL],
                                          "tools_in_user_message": False, "date_string": "01 Jan 2025"}),
    ("llama31", "tool_calls_and_results", {"messages": TOOL_CALL_MESSAGES}),
    ("llama31", "builtin_tools", {"messages": BUILTIN_TOOL_MESSAGES,
                                  "builtin_tools": ["brave_search", "code_interpreter", "wolfram_alpha"]}),
    ("llama31", "tools_without_user_message", {"messages": [{"role": "system", "content": "s"}], "tools": [WEATHER_TOOL]}),
    ("llama31", "two_tool_calls", {"messages": [{"role": "assistant", "content": "", "tool_calls": [
        {"function": {"name": "a", "arguments": {}}}, {"function": {"name": "b", "arguments": {}}}]}]}),
    ("llama32", "tools_and_calls", {"messages": TOOL_CALL_MESSAGES, "tools": [WEATHER_TOOL]}),
    ("llama32", "given_date", {"messages": CONVERSATIONS["user_only"], "date_string": "02 Feb 2022"}),
]

# Small templates, each aimed at a few constructs; rendered with FEATURE_CONTEXT.
FEATURE_CONTEXT = {
    "messages": CONVERSATIONS["multi_turn_system"],
    "d": {"b": 1, "a": [1, 2.5, None, True, "x"], "items": "key named items"},
    "s": "  Hello, World!  ",
    "u": UNICODE,
    "n": None,
    "nums": [3, 1, 2, 10, -4],
    "words": ["banana", "Apple", "cherry", "apple"],
    "people": [{"name": "Ann", "age": 31, "tags": ["a"]}, {"name": "bob", "age": 25}, {"name": "Cy", "age": 40, "tags": []}],
    "text": "line one\nline two\n\nline four",
    "big": 9007199254740993,
    "f": 0.1,
}

FEATURES = [
    # --- whitespace control -------------------------------------------------------
    ("ws_trim_lstrip", "a\n  {% if true %}\n  x\n  {% endif %}\nb\n"),
    ("ws_nested_blocks", "{% for m in messages %}\n  {% if m.role == 'user' %}\n    [{{ m.content }}]\n  {% endif %}\n{% endfor %}\n"),
    ("ws_minus_modifiers", "x {%- if true -%} y {%- endif -%} z\n  {{- 'a' -}}  \n  b"),
    ("ws_plus_modifiers", "  {%+ if true %}a{% endif +%}\nb\n\t{%+ if true +%}\n{% endif %}"),
    ("ws_comments", "a  {# c #}\n  {#- c #}  z\n {# block-like comment #}\n{#- x -#}  q"),
    ("ws_raw", "   {% raw %}{{ x }} {% if %}  {% endraw %}\ny {%- raw -%}  in  {%- endraw -%}  z"),
    ("ws_raw_keeps_its_first_newline", "a\n  {% raw %}\n  {{ r }}\n  {% endraw %}\nb {% raw -%}\n c \n{%+ endraw %}"),
    ("ws_expression_not_lstripped", "  {{ 'y' }}\n{{ 'z' }}  {% if true %}w{% endif %}"),
    ("ws_unicode_space_strip", "a\u3000\n \u00a0{%- if true %}b{% endif -%}\u2003c"),
    ("ws_crlf", "a\r\nb{% if true %}\r\nc{% endif %}\r\nd\r"),
    ("ws_trailing_newline", "{{ 'x' }}\n\n"),
    # --- literals and printing -------------------------------------------------------
    ("literal_strings", "{{ 'single' }}|{{ \"double\" }}|{{ 'a\\nb\\tc\\\\d\\'e\\\"f' }}|{{ \"\\x41\\u00e9\\U0001F600\\101\" }}|{{ 'con' 'cat' }}"),
    ("literal_numbers", "{{ 1 }} {{ -7 }} {{ 1.0 }} {{ 1.5e3 }} {{ 2.5e-5 }} {{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1e16 }} {{ 1e15 }} {{ 0.1 + 0.2 }} {{ 1/3 }} {{ big }} {{ f * 3 }}"),
    ("literal_constants", "{{ true }} {{ True }} {{ false }} {{ False }} {{ none }} {{ None }} [{{ undefined_name }}]"),
    ("literal_containers", "{{ [1, 'a', none, true, 1.5, {'k': 'v'}] }} {{ (1,) }} {{ () }} {{ (1, 2) }} {{ {'a': [], 'b': {}} }} {{ [1, 2,] }}"),
    ("repr_quotes", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'nl\\n', 'tab\\t', 'bs\\\\', 'ctl\\x01'] }}"),
    ("print_values", "{{ d }}|{{ nums }}|{{ n }}|{{ people[0] }}|{{ u }}"),
    # --- operators -------------------------------------------------------------------
    ("arithmetic", "{{ 7 + 2 }} {{ 7 - 2 }} {{ 7 * 2 }} {{ 7 / 2 }} {{ 6 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ true + 1 }}"),
    ("precedence", "{{ -3|abs }} {{ (-3)|abs }} {{ - 2 ** 2 }} {{ 2 ** 3 ** 2 }} {{ 1 + 2 * 3 }} {{ 10 - 2 - 3 }} {{ 'a' ~ 1 * 2 }} {{ 'a' + 'b'|upper }} {{ 2 * 'ab'|length }} {{ not true == false }} {{ not 1 in [1] }}"),
    ("string_and_list_ops", "{{ 'ab' + 'cd' }} {{ 'ab' * 3 }} {{ 3 * 'x' }} {{ [1] + [2, 3] }} {{ [0] * 3 }} {{ 'a' ~ 1 ~ none ~ 1.5 ~ [1] ~ undefined_name }} {{ '%s is %d years (%5.1f%%)' % ('Ann', 31, 12.345) }}"),
    ("comparisons", "{{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 < 2 < 3 }} {{ 3 > 2 == 2 }} {{ 1 != '1' }} {{ none == none }} {{ {'a': 1} == {'a': 1} }} {{ (1, 2) == [1, 2] }} {{ 2 >= 2.0 }} {{ 'é' > 'z' }}"),
    ("membership", "{{ 'a' in 'abc' }} {{ 1 in [1] }} {{ 'b' in d }} {{ 'zz' not in d }} {{ 'x' in [] }} {{ 2 in (1, 2) }} {{ 'Hello' in s }}"),
    ("logic", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ [] or 0 }} {{ none or none }} {{ 'a' and 0 }} {{ not 1 }} {{ not '' }} {{ true and not false }}"),
    ("conditional_expr", "{{ 1 if true else 2 if false else 3 }} {{ 'yes' if nums else 'no' }} [{{ 'never' if false }}] {{ (x if false) is defined }} {{ 'a' if n is none else 'b' }}"),
    # --- access ----------------------------------------------------------------------
    ("subscripts", "{{ nums[0] }} {{ nums[-1] }} {{ nums[10] is defined }} {{ d['b'] }} {{ d.b }} {{ d['items'] }} {{ d.items()|list|length }} {{ people[1].name }} {{ people[0]['tags'][0] }} {{ messages[0].role }} {{ 'héllo'[1] }} {{ 'abc'[-1] }} {{ d.missing is defined }} {{ n.attr is defined }}"),
    ("slices", "{{ nums[1:] }} {{ nums[:2] }} {{ nums[::-1] }} {{ nums[::2] }} {{ nums[-2:] }} {{ nums[1:-1] }} {{ nums[10:] }} {{ 'abcdef'[1:4] }} {{ 'héllo'[::-1] }} {{ 'abcdef'[::-2] }} {{ (1, 2, 3)[1:] }} {{ messages[1:]|length }}"),
    # --- statements ------------------------------------------------------------------
    ("if_elif_else", "{% for x in [1, 2, 3, 4] %}{% if x == 1 %}one{% elif x == 2 %}two{% elif x == 3 %}three{% else %}other{% endif %};{% endfor %}"),
    ("for_loop_vars", "{% for m in messages %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.length }}/{{ loop.first }}/{{ loop.last }}/{{ loop.previtem.role if loop.previtem is defined else '-' }}/{{ loop.nextitem.role if loop.nextitem else '-' }}/{{ loop.cycle('odd', 'even') }}\n{% endfor %}"),
    ("for_unpack_items", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k, v in d|items %}{{ k }};{% endfor %}|{% for (a, b) in [(1, 2), [3, 4]] %}{{ a + b }}{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for c in 'hé' %}[{{ c }}]{% endfor %}"),
    ("for_else_and_filter", "{% for x in [] %}a{% else %}empty{% endfor %}|{% for x in nums if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% endfor %}|{% for x in nums if x > 100 %}{{ x }}{% else %}none over 100{% endfor %}|{% for x in undefined_name %}{{ x }}{% else %}undef is empty{% endfor %}"),
    ("for_scoping", "{% set x = 0 %}{% for i in [1, 2] %}{{ x }}{% set x = i %}{{ x }}{% endfor %}{{ x }}|{% for i in [1] %}{% set inner = 5 %}{% endfor %}{{ inner is defined }}"),
    ("nested_loops", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}({{ loop.index }}){% endfor %}[{{ loop.index }}]{% endfor %}"),
    ("break_continue", "{% for i in range(10) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}"),
    ("set_forms", "{% set a = 1 %}{% set b, c = 2, 3 %}{% set t = 4, 5 %}{% set blk %}[{{ a }}{{ b }}]{% endset %}{{ a }}{{ b }}{{ c }}{{ t }}{{ blk }}{{ blk|length }}"),
    ("namespace", "{% set ns = namespace(count=0, seen=[], found=false) %}{% for m in messages %}{% set ns.count = ns.count + 1 %}{% set ns.seen = ns.seen + [m.role] %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.seen }} {{ ns.found }} {{ namespace(d, z=1).z }} {{ ns }}"),
    ("macro", "{% macro tag(name, body='none', close=true) %}<{{ name }}>{{ body }}{% if close %}</{{ name }}>{% endif %}{% endmacro %}{{ tag('a') }}{{ tag('b', 'x') }}{{ tag('c', close=false) }}{{ tag(body='y', name='d') }}{{ tag('e')|upper }}"),
    ("raise_in_branch_not_taken", "{% if false %}{{ raise_exception('never') }}{% endif %}ok"),
    ("raise_exception", "before{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"),
    ("strftime_now", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%A %B %j') }}|{{ strftime_now('%-d') }}"),
    ("globals", "{{ range(3)|list }} {{ range(1, 7, 2)|list }} {{ range(5, 0, -2)|list }} {{ dict(a=1, b='x') }} {{ namespace is defined }} {{ raise_exception is defined }}"),
    # --- filters ---------------------------------------------------------------------
    ("filters_text", "[{{ s|trim }}] [{{ '  x\u3000'|trim }}] [{{ 'xxhixx'|trim('x') }}] {{ s|upper }} {{ s|lower }} {{ 'hELLO wORLD'|capitalize }} {{ \"they're bill's-friend (x)\"|title }} {{ u|upper }} {{ u|lower }} {{ 'ß'|upper }}"),
    ("filters_length", "{{ nums|length }} {{ nums|count }} {{ u|length }} {{ d|length }} {{ ''|length }} {{ undefined_name|length }}"),
    ("filters_first_last_join", "{{ nums|first }} {{ nums|last }} {{ 'héllo'|first }} {{ 'héllo'|last }} {{ d|first }} {{ nums|join }} {{ nums|join(', ') }} {{ people|join(' & ', attribute='name') }} [{{ []|first }}]"),
    ("filters_default", "{{ undefined_name|default('dflt') }} {{ undefined_name|d('d2') }} {{ n|default('not used') }} {{ ''|default('empty', true) }} {{ 0|default('zero', boolean=true) }} {{ 'v'|default('x') }}"),
    ("filters_conversions", "{{ 3|string }} {{ '12'|int + 1 }} {{ 'x'|int }} {{ 'x'|int(7) }} {{ 3.9|int }} {{ '0x1A'|int(base=16) }} {{ ' 42 '|int }} {{ '1e3'|int }} {{ '2.5'|float }} {{ 'nope'|float }} {{ 3|float }} {{ 'ab'|list }} {{ d|list }} {{ nums|string }} {{ n|string }}"),
    ("filters_replace", "{{ 'aXbXc'|replace('X', '-') }} {{ 'aXbXc'|replace('X', '-', 1) }} {{ 'abc'|replace('', '.') }} {{ 'héllo'|replace('é', 'e') }}"),
    ("filters_tojson", "{{ d|tojson }}\n{{ people|tojson(indent=2) }}\n{{ u|tojson }}\n{{ u|tojson(ensure_ascii=true) }}\n{{ {'z': 1, 'a': [1.0, 1e20, 1e-7, -0.0]}|tojson(sort_keys=true) }}\n{{ 'ctl\\x01\\x7f\\u2028 \"q\" \\\\ /'|tojson }}\n{{ [[], {}, [[]]]|tojson(indent=4) }}\n{{ nums|tojson(separators=(',', ':')) }}\n{{ d|tojson(indent='\\t') }}"),
    ("filters_indent", "{{ text|indent }}|{{ text|indent(2, true) }}|{{ text|indent(2, blank=true) }}|{{ 'a\\n'|indent(2, true, true) }}|{{ ''|indent(2, true) }}|{{ text|indent('> ') }}"),
    ("filters_sorting", "{{ nums|sort }} {{ nums|sort(reverse=true) }} {{ words|sort }} {{ words|sort(case_sensitive=true) }} {{ people|sort(attribute='age')|map(attribute='name')|list }} {{ words|unique|list }} {{ words|unique(case_sensitive=true)|list }} {{ nums|min }} {{ nums|max }} {{ words|max }} {{ people|max(attribute='age') }} {{ nums|sum }} {{ people|sum(attribute='age') }} {{ nums|reverse|list }} {{ 'abc'|reverse }}"),
    ("filters_select_map", "{{ people|selectattr('tags')|map(attribute='name')|list }} {{ people|rejectattr('tags')|map(attribute='name')|list }} {{ people|selectattr('age', 'gt', 30)|map(attribute='name')|join(',') }} {{ people|selectattr('tags', 'defined')|list|length }} {{ messages|selectattr('role', 'equalto', 'user')|list|length }} {{ nums|select('odd')|list }} {{ nums|reject('odd')|list }} {{ [0, 1, '', 'a']|select|list }} {{ words|map('upper')|list }} {{ people|map(attribute='tags.0', default='-')|list }}"),
    ("filters_dicts", "{{ d|items|list }} {{ d|dictsort }} {{ {'b': 2, 'A': 3, 'a': 1}|dictsort(true) }} {{ {'x': 2, 'y': 1}|dictsort(by='value') }} {{ d|dictsort(reverse=true)|first }}"),
    ("filters_misc", "{{ -3|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 1.5|round(0, 'floor') }} {{ 1.2|round(0, 'ceil') }} {{ 5|round }} [{{ 'ab'|center(6) }}] [{{ 'abc'|center(6) }}] {{ 'a&<>\"\\''|e }} {{ 'x'|safe }} {{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }} {{ 'one two  three'|wordcount }} {{ '%s=%d'|format('x', 3) }}"),
    # --- tests -----------------------------------------------------------------------
    ("tests_types", "{{ 1 is number }}{{ 1.5 is number }}{{ true is number }}{{ 'a' is number }} {{ 1 is integer }}{{ true is integer }}{{ 1.0 is float }} {{ 'a' is string }}{{ 1 is string }} {{ d is mapping }}{{ nums is mapping }} {{ d is iterable }}{{ 'a' is iterable }}{{ 1 is iterable }}{{ n is iterable }}{{ undefined_name is iterable }} {{ 'a' is sequence }}{{ nums is sequence }}{{ 1 is sequence }} {{ true is boolean }}{{ 1 is boolean }} {{ n is none }}{{ 0 is none }} {{ range is callable }}{{ d is callable }}"),
    ("tests_values", "{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 0 is false }} {{ 2 is even }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(4) }} {{ 1 is eq 1 }}{{ 1 is ne 1 }}{{ 1 is lt 2 }}{{ 1 is gt 2 }}{{ 2 is le 2 }}{{ 2 is ge 3 }}{{ 'a' is equalto 'a' }} {{ 'a' is in 'abc' }}{{ 'z' is in ['a'] }} {{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'Abc' is lower }} {{ n is sameas none }}{{ 'trim' is filter }}{{ 'odd' is test }}"),
    ("tests_defined", "{{ undefined_name is defined }}{{ undefined_name is not defined }}{{ undefined_name is undefined }}{{ d is defined }}{{ d.b is defined }}{{ d.zz is defined }}{{ d['zz'] is not defined }}{{ n is defined }}{{ messages[0].content is defined }}{{ messages[9] is defined }}"),
    # --- methods ---------------------------------------------------------------------
    ("methods_str", "[{{ s.strip() }}] [{{ s.lstrip() }}] [{{ s.rstrip() }}] [{{ 'xxhixx'.strip('x') }}] {{ 'a,b,,c'.split(',') }} {{ ' a  b  c '.split() }} {{ 'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ ' a b c '.rsplit(None, 1) }} {{ text.splitlines() }} {{ 'abc'.startswith('a') }} {{ 'abc'.startswith(('x', 'ab')) }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith('b', 1) }}"),
    ("methods_str_case_find", "{{ s.upper() }} {{ s.lower() }} {{ 'hello wORLD'.title() }} {{ \"they're\".title() }} {{ 'hELLO'.capitalize() }} {{ 'aXbX'.replace('X', '.') }} {{ 'aXbX'.replace('X', '.', 1) }} {{ 'abcb'.find('b') }} {{ 'abcb'.rfind('b') }} {{ 'abc'.find('z') }} {{ 'héllo'.find('l') }} {{ 'abcb'.count('b') }} {{ '-'.join(['a', 'b', 'c']) }} {{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ 'a1'.isalnum() }} {{ ' '.isspace() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }} {{ '42'.zfill(5) }}"),
    ("methods_format", "{{ '{} is {}'.format('a', 1) }}|{{ '{0}{1}{0}'.format('x', 'y') }}|{{ '{name}!'.format(name='n') }}|{{ '{!r}'.format('q') }}|{{ '{{literal}}'.format() }}|{{ '{:>6}|{:<6}|{:^6}|{:*^7}'.format('a', 'b', 'c', 'd') }}|{{ '{:05.2f} {:d} {:+d} {:.3}'.format(3.14159, 42, 7, 'abcdef') }}"),
    ("methods_dict", "{{ d.get('b') }} {{ d.get('zz') }} {{ d.get('zz', 5) }} {{ d.keys()|list }} {{ d.values()|list|length }} {{ d.items()|list|first }} {% for k, v in people[0].items() %}{{ k }};{% endfor %}"),
]

# Templates whose render must fail, with what the error message must contain.
FEATURE_ERRORS = {"raise_exception": "Conversation roles must alternate"}


def make_environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise TemplateError(message)

    def strftime_now(format):
        return FIXED_NOW.strftime(format)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, source, context):
    """({"expected": text} or {"error": message}) for one render."""
    try:
        return {"expected": env.from_string(source).render(**context)}
    except TemplateError as e:
        return {"error": str(e)}


def chat_context(messages, add_generation_prompt, bos_token, eos_token):
    return {
        "messages": messages,
        "tools": None,
        "documents": None,
        "add_generation_prompt": add_generation_prompt,
        "bos_token": bos_token,
        "eos_token": eos_token,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", default=os.path.join(os.path.dirname(REPO), "shared"))
    parser.add_argument("--out", default=os.path.join(CHAT_DIR, "expected.json"))
    args = parser.parse_args()

    templates = {}
    config_path = os.path.join(args.shared, "tokenizers", "llama3", "tokenizer_config.json")
    with open(config_path, encoding="utf-8") as f:
        templates["llama3_official"] = json.load(f)["chat_template"]
    template_dir = os.path.join(CHAT_DIR, "templates")
    for file in sorted(os.listdir(template_dir)):
        if file.endswith(".jinja"):
            with open(os.path.join(template_dir, file), encoding="utf-8", newline="") as f:
                templates[file[: -len(".jinja")]] = f.read()

    env = make_environment()
    cases = []
    for name in sorted(templates):
        bos, eos = TEMPLATE_TOKENS[name]
        for conversation, messages in CONVERSATIONS.items():
            for add_generation_prompt in (True, False):
                context = chat_context(messages, add_generation_prompt, bos, eos)
                case = {"name": f"{name}/{conversation}/{'prompt' if add_generation_prompt else 'no_prompt'}",
                        "template": name, "chat": True, "context": context}
                case.update(render(env, templates[name], context))
                cases.append(case)
    for name, label, extra in EXTRA_CASES:
        bos, eos = TEMPLATE_TOKENS[name]
        context = chat_context(extra["messages"], True, bos, eos)
        context.update(extra)
        case = {"name": f"{name}/{label}", "template": name, "chat": False, "context": context}
        case.update(render(env, templates[name], context))
        cases.append(case)
    for label, source in FEATURES:
        name = "feature_" + label
        templates[name] = source
        case = {"name": name, "template": name, "chat": False, "context": FEATURE_CONTEXT}
        case.update(render(env, source, FEATURE_CONTEXT))
        if label in FEATURE_ERRORS:
            if FEATURE_ERRORS[label] not in case.get("error", ""):
                sys.exit(f"{name}: expected an error containing {FEATURE_ERRORS[label]!r}, got {case}")
        elif "error" in case:
            sys.exit(f"{name}: jinja2 failed: {case['error']}")
        cases.append(case)

    out = {
        "generator": f"scripts/chat/gen_chat_expected.py (jinja2 {jinja2.__version__})",
        "now": [FIXED_NOW.year, FIXED_NOW.month, FIXED_NOW.day, FIXED_NOW.hour, FIXED_NOW.minute, FIXED_NOW.second],
        "templates": templates,
        "cases": cases,
    }
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
        f.write("\n")
    errors = sum("error" in c for c in cases)
    print(f"wrote {args.out}: {len(templates)} templates, {len(cases)} cases ({errors} expected errors)")


if __name__ == "__main__":
    main()
