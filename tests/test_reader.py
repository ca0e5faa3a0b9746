"""Reader tests: literal values, spans, comments, quote prefixes and read errors."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vm.errors import ReadError
from vm.reader import Span, read_all
from vm.values import EMPTY, Array, Keyword, LSet, Pair, Struct, Symbol, hash_key, values_equal


def read1(text):
    forms = read_all(text, "t.lisp")
    assert len(forms) == 1, forms
    return forms[0]


def value(text):
    """The single form of `text` as a runtime value."""
    return read1(text).to_value()


def shape(form):
    """A form as plain data: atoms as (type name, value), containers as (kind, [...])."""
    if form.kind == "atom":
        v = form.value
        if type(v) in (Symbol, Keyword):
            return repr(v)
        return v
    return (form.kind, [shape(f) for f in form.value])


def span(form):
    s = form.span
    return (s.line, s.col, s.end_line, s.end_col)


def read_error(text, filename="t.lisp"):
    with pytest.raises(ReadError) as info:
        read_all(text, filename)
    return str(info.value)


# ---------------------------------------------------------------------------
# Literals

def test_empty_input_reads_nothing():
    assert read_all("", "t.lisp") == []
    assert read_all("   \n\t\n", "t.lisp") == []
    assert read_all("# only a comment\n## and another", "t.lisp") == []


@pytest.mark.parametrize("text, expected", [
    ("0", 0), ("42", 42), ("-7", -7), ("+7", 7), ("007", 7),
    ("1_000_000", 1000000), ("-1_0", -10),
    ("0x1F", 31), ("0xff", 255), ("-0x10", -16), ("+0x10", 16), ("0xdead_beef", 0xDEADBEEF),
    ("0o17", 15), ("-0o7", -7), ("0b1010", 10), ("-0b1", -1), ("0b1_0", 2),
])
def test_integers(text, expected):
    v = value(text)
    assert type(v) is int and v == expected


def test_huge_integers_read_exactly():
    assert value("123456789012345678901234567890") == 123456789012345678901234567890
    digits = "9" * 10000
    assert value(digits) == 10 ** 10000 - 1
    assert value("-" + digits) == -(10 ** 10000 - 1)
    assert value("0x" + "f" * 5000) == 16 ** 5000 - 1


@pytest.mark.parametrize("text, expected", [
    ("1.5", 1.5), ("1e10", 1e10), ("2.5E-3", 2.5e-3), ("1.", 1.0), ("-0.5", -0.5),
    ("+2.0", 2.0), ("1e+2", 100.0), ("1_000.5", 1000.5), ("0.0", 0.0),
])
def test_floats(text, expected):
    v = value(text)
    assert type(v) is float and v == expected


@pytest.mark.parametrize("text", [".5", "+", "-", "-foo", "+x", "-.5", "...", "."])
def test_number_like_symbols(text):
    v = value(text)
    assert type(v) is Symbol and v.name == text


@pytest.mark.parametrize("text", [
    "a:b", "a:b:c", "fiber/new", "nil?", "@x", "@", "&", "&opt", "->", "%add",
    "set!", "<=", "a.b", "x1", "true?", "nil-or", "falsey", "héllo",
])
def test_plain_symbols(text):
    v = value(text)
    assert type(v) is Symbol and v.name == text


def test_constants():
    assert value("true") is True
    assert value("false") is False
    f = read1("nil")
    assert f.kind == "atom" and f.value is None


def test_keywords():
    assert value(":name") is Keyword("name")
    assert value(":a-b?") is Keyword("a-b?")
    assert read1(":yield").is_keyword()


@pytest.mark.parametrize("text, expected", [
    ('""', ""), ('"hi there"', "hi there"),
    (r'"a\nb\tc\rd"', "a\nb\tc\rd"),
    (r'"q\"q"', 'q"q'), (r'"back\\slash"', "back\\slash"), (r'"\\n"', "\\n"),
    ('"line1\nline2"', "line1\nline2"),
    ('"# not a comment ; ( ["', "# not a comment ; ( ["),
    ('"unicode ✓"', "unicode ✓"),
])
def test_strings(text, expected):
    assert value(text) == expected


def test_commas_are_not_whitespace():
    assert shape(read1("(a ,b)")) == ("list", ["a", ("list", ["unquote", "b"])])


def test_delimiters_end_symbols():
    forms = read_all('a(b)c[d]e"s"f#comment\ng', "t.lisp")
    assert [shape(f) for f in forms] == [
        "a", ("list", ["b"]), "c", ("array", ["d"]), "e", "s", "f", "g"]


# ---------------------------------------------------------------------------
# Collections and prefixes

@pytest.mark.parametrize("text, kind", [
    ("(1 2)", "list"), ("[1 2]", "array"), ("@[1 2]", "marray"),
    ("{1 2}", "struct"), ("@{1 2}", "mstruct"), ("|1 2|", "set"), ("@|1 2|", "mset"),
])
def test_collection_kinds(text, kind):
    f = read1(text)
    assert f.kind == kind
    assert [x.value for x in f.value] == [1, 2]


def test_empty_collections():
    assert [f.kind for f in read_all("() [] @[] {} @{} || @||", "t.lisp")] == [
        "list", "array", "marray", "struct", "mstruct", "set", "mset"]
    assert value("()") is EMPTY


def test_nested_sets():
    assert shape(read1("|a @|b| c|")) == ("set", ["a", ("mset", ["b"]), "c"])
    assert shape(read1("(|1| |2|)")) == ("list", [("set", [1]), ("set", [2])])


def test_at_before_other_characters_starts_a_symbol():
    assert [shape(f) for f in read_all("@name @(x)", "t.lisp")] == [
        "@name", "@", ("list", ["x"])]


@pytest.mark.parametrize("text, head", [
    ("'x", "quote"), ("`x", "quasiquote"), (",x", "unquote"), (",;x", "unquote-splicing"),
])
def test_quote_prefixes(text, head):
    assert shape(read1(text)) == ("list", [head, "x"])


def test_prefixes_nest_and_skip_whitespace():
    assert shape(read1("''x")) == ("list", ["quote", ("list", ["quote", "x"])])
    assert shape(read1("`(a ,b ,;c)")) == ("list", ["quasiquote", ("list", [
        "a", ("list", ["unquote", "b"]), ("list", ["unquote-splicing", "c"])])])
    assert shape(read1("' # comment\n  x")) == ("list", ["quote", "x"])


# ---------------------------------------------------------------------------
# Comments

def test_comments_run_to_end_of_line():
    forms = read_all("1 # one\n## two\n2 #three", "t.lisp")
    assert [f.value for f in forms] == [1, 2]


def test_shebang_line_is_ignored():
    forms = read_all("#!/usr/bin/env vmdbg\n(print 1)\n", "t.lisp")
    assert [shape(f) for f in forms] == [("list", ["print", 1])]
    assert span(forms[0]) == (2, 1, 2, 10)


# ---------------------------------------------------------------------------
# Spans

def test_span_carries_file_name():
    assert read_all("x", "dir/prog.lisp")[0].span == Span("dir/prog.lisp", 1, 1, 1, 2)


def test_spans_of_nested_forms():
    text = "(def x\n  [1 \"two\"\n   {:k 3}])"
    f = read1(text)
    assert span(f) == (1, 1, 3, 12)
    d, x, arr = f.value
    assert span(d) == (1, 2, 1, 5)
    assert span(x) == (1, 6, 1, 7)
    assert span(arr) == (2, 3, 3, 11)
    one, two, st = arr.value
    assert span(one) == (2, 4, 2, 5)
    assert span(two) == (2, 6, 2, 11)
    assert span(st) == (3, 4, 3, 10)
    assert [span(k) for k in st.value] == [(3, 5, 3, 7), (3, 8, 3, 9)]


def test_spans_of_prefixed_collections():
    assert span(read1("@[1]")) == (1, 1, 1, 5)
    forms = read_all("  @{:a 1}  @|x|", "t.lisp")
    assert [span(f) for f in forms] == [(1, 3, 1, 10), (1, 12, 1, 16)]


def test_span_of_multiline_string():
    forms = read_all('  "ab\ncde"  x', "t.lisp")
    assert span(forms[0]) == (1, 3, 2, 5)
    assert span(forms[1]) == (2, 7, 2, 8)


def test_spans_of_quote_prefixes():
    f = read1("  ,;(a b)")
    assert span(f) == (1, 3, 1, 10)
    head, body = f.value
    assert head.is_symbol("unquote-splicing") and span(head) == (1, 3, 1, 5)
    assert span(body) == (1, 5, 1, 10)
    outer = read1("'\n'x")
    assert span(outer) == (1, 1, 2, 3)
    assert span(outer.value[1]) == (2, 1, 2, 3)


def test_columns_count_characters_and_tabs_count_one():
    forms = read_all('"é✓" \tx\n\ty', "t.lisp")
    assert span(forms[0]) == (1, 1, 1, 5)
    assert span(forms[1]) == (1, 7, 1, 8)
    assert span(forms[2]) == (2, 2, 2, 3)


def test_crlf_line_endings():
    forms = read_all("a\r\nb\r\n", "t.lisp")
    assert [span(f) for f in forms] == [(1, 1, 1, 2), (2, 1, 2, 2)]


# ---------------------------------------------------------------------------
# to_value round trips

def test_to_value_of_quoted_data():
    q = read1("'(1 2.5 \"s\" :k sym nil true () [1 @[2]] {:a 1} @{:b [2]} |1 true| @|x|)")
    assert q.value[0].is_symbol("quote")
    v = q.value[1].to_value()
    items = list(v)
    assert items[:8] == [1, 2.5, "s", Keyword("k"), Symbol("sym"), None, True, EMPTY]
    assert values_equal(items[8], Array([1, Array([2], True)]))
    assert not items[8].mutable and items[8].items[1].mutable
    assert values_equal(items[9], Struct({Keyword("a"): 1}))
    assert values_equal(items[10], Struct({Keyword("b"): Array([2])}, True)) and items[10].mutable
    assert items[11].s == {1, hash_key(True)} and not items[11].mutable
    assert items[12].s == {Symbol("x")} and items[12].mutable


def test_to_value_of_quote_prefix_is_a_quote_list():
    v = value("'x")
    assert type(v) is Pair and list(v) == [Symbol("quote"), Symbol("x")]


# ---------------------------------------------------------------------------
# Errors: each with its exact FILE:LINE:COL prefix

@pytest.mark.parametrize("text, where", [
    ("(a b", "1:1"), ("  [1", "1:3"), ("{", "1:1"), ("|a", "1:1"),
    ("@[1", "1:1"), ("@{", "1:1"), ("x @|", "1:3"),
    ("(a\n  (b c)\n  (d", "3:3"),
])
def test_unclosed_points_at_opener(text, where):
    msg = read_error(text)
    assert msg.startswith(f"t.lisp:{where}: read error: unclosed `")


def test_unclosed_message_names_the_delimiters():
    assert read_error("(") == "t.lisp:1:1: read error: unclosed `(`: expected `)` before end of input"
    assert "unclosed `@[`" in read_error("@[")


@pytest.mark.parametrize("text, where, tok", [
    (")", "1:1", ")"), ("a ]", "1:3", "]"), ("(a)\n  }", "2:3", "}"),
])
def test_stray_closer_points_at_itself(text, where, tok):
    assert read_error(text).startswith(f"t.lisp:{where}: read error: unexpected `{tok}`")


def test_mismatched_closer_names_what_was_expected():
    assert read_error("(]") == (
        "t.lisp:1:2: read error: expected `)` to close `(` at 1:1, found `]`")
    assert read_error("[1\n (2})").startswith("t.lisp:2:4: read error: expected `)` to close `(` at 2:2")
    assert read_error("@{:a 1]").startswith("t.lisp:1:7: read error: expected `}`")


def test_odd_struct_points_at_brace():
    assert read_error("(x\n  {:a 1 :b})").startswith(
        "t.lisp:2:3: read error: struct literal `{` has an odd number of forms (3)")
    assert read_error(" @{:a}").startswith("t.lisp:1:2: read error: struct literal `@{`")


@pytest.mark.parametrize("text, where", [
    ('"abc', "1:1"), ('x "abc\n\n', "1:3"), ('"a\\"', "1:1"), ('"\\', "1:1"),
])
def test_unclosed_string_points_at_opening_quote(text, where):
    assert read_error(text).startswith(f"t.lisp:{where}: read error: unclosed string")


@pytest.mark.parametrize("text, where, esc", [
    (r'"\q"', "1:2", "q"), (r'"ab\0"', "1:4", "0"), ('"x\n  \\e"', "2:3", "e"),
])
def test_unknown_escape_points_at_backslash(text, where, esc):
    assert read_error(text).startswith(
        f"t.lisp:{where}: read error: unknown escape `\\{esc}`")


@pytest.mark.parametrize("text, where", [
    ("0x", "1:1"), ("1_", "1:1"), ("12abc", "1:1"), ("(a  1__0)", "1:5"),
    ("0b102", "1:1"), ("0o8", "1:1"), ("1.5.3", "1:1"), ("1e", "1:1"), ("-1x", "1:1"),
    ("0x_1", "1:1"), ("1._5", "1:1"), ("\n 1e5.0", "2:2"),
])
def test_malformed_numbers(text, where):
    assert read_error(text).startswith(f"t.lisp:{where}: read error: malformed number `")


def test_lone_colon_is_an_error():
    assert read_error("(a : b)").startswith("t.lisp:1:4: read error: `:` alone")


@pytest.mark.parametrize("text, where", [(";x", "1:1"), ("(a ;b)", "1:4"), ("x\n, ;y", "2:3")])
def test_semicolon_is_not_a_comment(text, where):
    assert read_error(text).startswith(f"t.lisp:{where}: read error: `;` (splice) is not supported")


@pytest.mark.parametrize("text, where, prefix", [
    ("'", "1:1", "'"), ("(a ')", "1:4", "'"), ("`", "1:1", "`"), ("[,]", "1:2", ","),
    ("x ,;", "1:3", ",;"), ("'  # c\n", "1:1", "'"), ("|a '|", "1:4", "'"), ("{'}", "1:2", "'"),
])
def test_prefix_without_a_form(text, where, prefix):
    assert read_error(text) == f"t.lisp:{where}: read error: `{prefix}` must be followed by a form"


def test_error_uses_the_given_filename():
    assert read_error("(", "lib/x.lisp").startswith("lib/x.lisp:1:1: read error:")


def test_read_error_fields():
    with pytest.raises(ReadError) as info:
        read_all("\n  )", "f.lisp")
    e = info.value
    assert (e.file, e.line, e.col) == ("f.lisp", 2, 3)


# ---------------------------------------------------------------------------
# Limits

def test_deep_nesting_reads_without_recursion():
    depth = 100_000
    f = read1("(" * depth + "x" + ")" * depth)
    for _ in range(depth):
        assert f.kind == "list" and len(f.value) == 1
        f = f.value[0]
    assert f.is_symbol("x")


def test_deep_unclosed_nesting_is_a_clean_error():
    msg = read_error("(" * 100_000)
    assert msg.startswith("t.lisp:1:100000: read error: unclosed `(`")
    msg = read_error("[" * 50_000 + "]" * 49_999 + ")")
    assert "expected `]` to close `[` at 1:1" in msg


def test_deep_quote_chain():
    depth = 100_000
    f = read1("'" * depth + "x")
    for _ in range(depth):
        assert f.value[0].is_symbol("quote")
        f = f.value[1]
    assert f.is_symbol("x")


def test_ten_thousand_line_file():
    # Timing goals live in bench/ (house style); this checks positions stay right at scale.
    line = '(defn f [a b] (+ a b 1_000 2.5 "s\\n\nt" :kw {:k [1 2]}))  # comment\n'
    forms = read_all(line * 5_000, "big.lisp")
    assert len(forms) == 5_000
    assert span(forms[-1]) == (9_999, 1, 10_000, 20)
    assert span(forms[-1].value[3].value[5]) == (9_999, 32, 10_000, 3)


# ---------------------------------------------------------------------------
# Any text either reads or fails cleanly, and every span covers its own source

_OPEN_CHARS = {"list": "(", "array": "[", "marray": "@", "struct": "{", "mstruct": "@",
               "set": "|", "mset": "@"}


def offsets(text):
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    return lambda line, col: starts[line - 1] + col - 1


def walk(forms):
    todo = list(forms)
    while todo:
        f = todo.pop()
        yield f
        if f.kind != "atom":
            todo.extend(f.value)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="()[]{}|@'`,;#:\"\\ \n\tab1x_.-+e\u00e9", max_size=40))
def test_any_text_reads_or_raises_read_error(text):
    try:
        forms = read_all(text, "fuzz.lisp")
    except ReadError as e:
        assert str(e).startswith("fuzz.lisp:")
        return
    at = offsets(text)
    for f in walk(forms):
        s = f.span
        chunk = text[at(s.line, s.col):at(s.end_line, s.end_col)]
        if chunk[0] in "'`,":
            # A prefix, or the (quote x) list it expands to.
            head = f if f.kind == "atom" else f.value[0]
            assert head.value.name in ("quote", "quasiquote", "unquote", "unquote-splicing")
        elif f.kind != "atom":
            assert chunk[0] == _OPEN_CHARS[f.kind] and chunk[-1] in ")]}|"
        else:
            again = read1(chunk)
            assert again.kind == "atom" and again.value == f.value
