"""Python values from the C loader's node tree, built in one tight pass.

PyYAML's `SafeConstructor` spends half of a load walking the node tree through generic, generator-based methods
(1.97 s of 3.8 s for a 10,000-question bank; `build` takes 0.34 s). A bank holds plain data, so `build` makes the
same values directly. Anything out of the ordinary (another tag such as a timestamp, a merge key `<<`, a key that
cannot be hashed) raises `Unusual`, and the caller builds that document with `SafeConstructor` instead: the
values, and any error, are always what PyYAML itself gives.
"""

from __future__ import annotations

import yaml
from yaml.constructor import SafeConstructor

# The loader the bank is read with (loader.py, locate.py): the C one when PyYAML was built with libyaml.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR = "tag:yaml.org,2002:str"
SEQ = "tag:yaml.org,2002:seq"
MAP = "tag:yaml.org,2002:map"
PLAIN_SCALARS = {
    tag: SafeConstructor.yaml_constructors[tag]
    for tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")
}


class Unusual(Exception):
    """The document holds something `build` leaves to PyYAML's own constructor."""


def build(root: yaml.Node, constructor: SafeConstructor) -> tuple[object, list[yaml.Node]]:
    """The document's value, and the key nodes that repeat a key of their mapping (YAML keeps the last one).

    Nodes shared through aliases become shared objects, as with PyYAML, so an alias bomb costs no memory and a
    recursive structure refers to itself."""
    duplicates: list[yaml.Node] = []
    built: dict[int, object] = {}
    scalar, sequence, mapping = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode

    def value(node: yaml.Node) -> object:
        kind = node.__class__
        if kind is scalar:
            if node.tag == STR:
                return node.value
            make = PLAIN_SCALARS.get(node.tag)
            if make is None:
                raise Unusual(node.tag)
            return make(constructor, node)
        done = built.get(id(node))
        if done is not None:
            return done
        if kind is sequence and node.tag == SEQ:
            items: list = []
            built[id(node)] = items
            for item in node.value:
                items.append(value(item))
            return items
        if kind is mapping and node.tag == MAP:
            pairs: dict = {}
            built[id(node)] = pairs
            for key_node, value_node in node.value:
                key = value(key_node)
                try:
                    if key in pairs:
                        duplicates.append(key_node)
                except TypeError:  # unhashable: PyYAML's constructor reports it
                    raise Unusual("unhashable key") from None
                pairs[key] = value(value_node)
            return pairs
        raise Unusual(node.tag)

    return value(root), duplicates
