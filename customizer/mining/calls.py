"""The calls a test method makes, with a best-effort static type for each argument.

Argument types let the miner tell overloads of equal arity apart (``of(String, String)`` vs
``of(BigDecimal, Currency)``). Types come from literals, ``new X(…)``, casts and declared variables; anything
else is unknown (``None``) and matches every parameter.
"""

from __future__ import annotations

from typing import NamedTuple

from tree_sitter import Node

from customizer.java.methods import MethodInfo, method_node
from customizer.java.parser import ParsedFile
from customizer.java.source_text import COMMENT_TYPES

_LITERAL_TYPES = {
    "string_literal": "String", "text_block": "String", "character_literal": "char",
    "true": "boolean", "false": "boolean", "null_literal": "null",
}
_INT_LITERALS = frozenset({"decimal_integer_literal", "hex_integer_literal", "octal_integer_literal",
                           "binary_integer_literal"})
_FLOAT_LITERALS = frozenset({"decimal_floating_point_literal", "hex_floating_point_literal"})
_BOXES = {"int": "Integer", "long": "Long", "double": "Double", "float": "Float", "boolean": "Boolean",
          "char": "Character", "short": "Short", "byte": "Byte"}
_WIDENING = {"char": {"int", "long", "float", "double"}, "int": {"long", "float", "double"},
             "long": {"float", "double"}, "float": {"double"}, "short": {"int", "long", "float", "double"},
             "byte": {"short", "int", "long", "float", "double"}}
_PRIMITIVES = frozenset(_BOXES)


class CallSite(NamedTuple):
    """``name`` is the method name, or ``<init>:Type`` for ``new Type(…)``; ``receiver`` its object text."""

    name: str
    argc: int
    receiver: str | None
    arg_types: tuple[str | None, ...] = ()


def _raw_type(text: str) -> str:
    return "".join(text.split("<", 1)[0].split()).rsplit(".", 1)[-1]


def argument_type(parsed: ParsedFile, node: Node, var_types: dict[str, str]) -> str | None:
    kind = node.type
    if kind in _LITERAL_TYPES:
        return _LITERAL_TYPES[kind]
    text = parsed.node_text(node)
    if kind in _INT_LITERALS:
        return "long" if text.endswith(("l", "L")) else "int"
    if kind in _FLOAT_LITERALS:
        return "float" if text.endswith(("f", "F")) else "double"
    if kind in ("object_creation_expression", "cast_expression"):
        type_node = node.child_by_field_name("type")
        return simple_type(parsed.node_text(type_node)) if type_node is not None else None
    if kind == "array_creation_expression":  # new byte[n], new String[][] {…}
        type_node = node.child_by_field_name("type")
        dims = text.split("{", 1)[0].count("[")
        return simple_type(parsed.node_text(type_node)) + "[]" * dims if type_node is not None and dims else None
    if kind == "identifier":
        return var_types.get(text)
    if kind == "parenthesized_expression" and node.named_children:
        return argument_type(parsed, node.named_children[0], var_types)
    if kind == "field_access":  # this.name
        target, field = node.child_by_field_name("object"), node.child_by_field_name("field")
        if target is not None and field is not None and target.type == "this":
            return var_types.get(parsed.node_text(field))
        return None
    if kind == "class_literal":
        return "Class"
    if kind == "instanceof_expression":
        return "boolean"
    if kind == "unary_expression":
        return _unary_type(parsed, node, var_types)
    if kind == "binary_expression":
        return _binary_type(parsed, node, var_types)
    return None


_NUMERIC_RANK = ("int", "long", "float", "double")  # binary numeric promotion; byte, short, char promote to int
_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">=", "&&", "||"})


def _numeric(type_name: str | None) -> str | None:
    """The promoted primitive type of a numeric operand (boxes unboxed), or None."""
    if type_name is None:
        return None
    unboxed = next((p for p, box in _BOXES.items() if box == type_name), type_name)
    if unboxed in ("byte", "short", "char"):
        return "int"
    return unboxed if unboxed in _NUMERIC_RANK else None


def _operator(node: Node) -> str:
    operator = node.child_by_field_name("operator")
    return operator.type if operator is not None else ""


def _unary_type(parsed: ParsedFile, node: Node, var_types: dict[str, str]) -> str | None:
    operator, operand = _operator(node), node.child_by_field_name("operand")
    if operator == "!":
        return "boolean"
    if operand is None or operator not in ("-", "+", "~"):
        return None
    return _numeric(argument_type(parsed, operand, var_types))


def _binary_type(parsed: ParsedFile, node: Node, var_types: dict[str, str]) -> str | None:
    """Java's type of ``a op b`` where both operands' types are known: comparisons and logic are boolean, ``+``
    with a String is String, arithmetic promotes to the wider numeric type (shifts to the left operand's)."""
    operator = _operator(node)
    if operator in _COMPARISONS:
        return "boolean"
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if left is None or right is None:
        return None
    left_type, right_type = argument_type(parsed, left, var_types), argument_type(parsed, right, var_types)
    if operator == "+" and "String" in (left_type, right_type):
        return "String"
    if operator in ("&", "|", "^") and left_type == right_type == "boolean":
        return "boolean"
    if operator in ("<<", ">>", ">>>"):
        return _numeric(left_type)
    a, b = _numeric(left_type), _numeric(right_type)
    if a is None or b is None or operator not in ("+", "-", "*", "/", "%", "&", "|", "^"):
        return None
    return max(a, b, key=_NUMERIC_RANK.index)


_DECLARATIONS = frozenset({"local_variable_declaration", "field_declaration", "constant_declaration"})
_PARAMETERS = frozenset({"formal_parameter", "spread_parameter", "catch_formal_parameter",
                         "enhanced_for_statement", "resource"})


def declared_types(parsed: ParsedFile, node: Node) -> dict[str, str]:
    """Variable, field and parameter names declared under ``node`` → their simple raw type (``List<Foo>`` →
    ``List``, ``Foo[]`` → ``Foo[]``); ``var`` declarations take the type of a ``new``/literal initializer."""
    found: dict[str, str] = {}
    stack = [node]
    while stack:
        current = stack.pop()
        stack.extend(current.named_children)
        if current.type in _DECLARATIONS:
            type_node = current.child_by_field_name("type")
            if type_node is None:
                continue
            type_name = _declared(parsed, type_node)
            for declarator in current.children_by_field_name("declarator"):
                name = declarator.child_by_field_name("name")
                if name is None:
                    continue
                dims = declarator.child_by_field_name("dimensions")
                value = declarator.child_by_field_name("value")
                actual = type_name + ("[]" if dims is not None else "")
                if type_name == "var" and value is not None:
                    actual = argument_type(parsed, value, found) or ""
                if actual:
                    found[parsed.node_text(name)] = actual
        elif current.type in _PARAMETERS:
            type_node = current.child_by_field_name("type")
            name = current.child_by_field_name("name")
            if type_node is None and current.type == "spread_parameter":
                type_node = next((c for c in current.named_children if c.type.endswith("type")), None)
                declarator = next((c for c in current.named_children if c.type == "variable_declarator"), None)
                name = declarator.child_by_field_name("name") if declarator is not None else None
            if type_node is not None and name is not None:
                found[parsed.node_text(name)] = _declared(parsed, type_node)
    return found


def _declared(parsed: ParsedFile, type_node: Node) -> str:
    return simple_type(parsed.node_text(type_node))


def simple_type(text: str) -> str:
    """A type as written → its simple raw name with the array dimensions: ``java.util.List<String[]>[]`` →
    ``List[]``, ``byte []`` → ``byte[]``, ``T...`` → ``T...``."""
    erased: list[str] = []
    depth = 0
    for char in text:
        if char == "<":
            depth += 1
        elif char == ">":
            depth = max(0, depth - 1)
        elif depth == 0 and not char.isspace():
            erased.append(char)
    compact = "".join(erased)
    varargs = "..." if compact.endswith("...") else ""
    compact = compact.removesuffix("...")
    return compact.split("[", 1)[0].rsplit(".", 1)[-1] + "[]" * compact.count("[]") + varargs


def call_sites(parsed: ParsedFile, method: MethodInfo, var_types: dict[str, str]) -> list[CallSite]:
    """Method invocations and ``new`` expressions in the body, in source order (lambdas included)."""
    body = method_node(parsed, method).child_by_field_name("body")
    if body is None:
        return []
    sites: list[CallSite] = []
    stack = [body]
    while stack:
        node = stack.pop()
        stack.extend(reversed(node.named_children))
        if node.type not in ("method_invocation", "object_creation_expression"):
            continue
        arguments = node.child_by_field_name("arguments")
        args = [] if arguments is None else [a for a in arguments.named_children if a.type not in COMMENT_TYPES]
        types = tuple(argument_type(parsed, a, var_types) for a in args)
        if node.type == "method_invocation":
            name_node = node.child_by_field_name("name")
            if name_node is None:
                continue
            receiver = node.child_by_field_name("object")
            receiver_text = None if receiver is None else " ".join(parsed.node_text(receiver).split())
            sites.append(CallSite(parsed.node_text(name_node), len(args), receiver_text, types))
        else:
            type_node = node.child_by_field_name("type")
            if type_node is not None:
                sites.append(CallSite(f"<init>:{_raw_type(parsed.node_text(type_node))}", len(args), None, types))
    return sites


def type_accepts(parameter: str, argument: str | None) -> bool:
    """May an argument of (simple) type ``argument`` be passed to a parameter declared as ``parameter``?"""
    if argument is None:
        return True
    param = _raw_type(parameter.removesuffix("...").rstrip("[] "))
    if parameter.rstrip().endswith("]"):
        return argument == "null" or argument.endswith("[]")
    if argument == "null":
        return param not in _PRIMITIVES
    if argument.endswith("[]"):  # an array is passed only to an array, or to what every array is
        return param in ("Object", "Cloneable", "Serializable") or _is_type_variable(param)
    if param == argument or _BOXES.get(argument) == param or _BOXES.get(param) == argument:
        return True
    if param in _WIDENING.get(argument, ()):
        return True
    if argument == "String":
        return param in ("Object", "CharSequence", "Comparable", "Serializable") or _is_type_variable(param)
    if argument in _PRIMITIVES or argument in _BOXES.values():
        return param in ("Object", "Number", "Comparable", "Serializable") or _is_type_variable(param)
    # a declared class type may be a subtype of the parameter, unless the parameter cannot have subtypes
    return param not in _PRIMITIVES and param not in ("String", *_BOXES.values())


def exact_types(parameters: tuple[str, ...], arguments: tuple[str | None, ...]) -> bool:
    """Is every argument's static type known and the very type of its parameter (no varargs)? Java then applies
    the method without conversions, and no other applicable overload is more specific (JLS 15.12.2), so such a
    method is the one the call selects."""
    if len(parameters) != len(arguments) or any(p.endswith("...") for p in parameters):
        return False
    return all(a is not None and a != "null" and simple_type(p) == a for p, a in zip(parameters, arguments,
                                                                                     strict=True))


def _is_type_variable(name: str) -> bool:
    return len(name) <= 2 and name[:1].isupper()
