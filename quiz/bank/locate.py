"""Find the line and column of a value inside a YAML file, from its path in the loaded document.

Only used when something is wrong: the happy path never builds the node tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # PyYAML is imported only when a file is parsed (~30 ms): a cached bank never needs it
    import yaml


def compose(text: str) -> yaml.Node | None:
    import yaml

    from quiz.bank.yaml_values import Loader

    try:
        return yaml.compose(text, Loader=Loader)
    except yaml.YAMLError:
        return None


def find_node(root: yaml.Node | None, path: Sequence[object], *, key: bool = False) -> yaml.Node | None:
    """The node at `path` (mapping keys and list indices); with key=True, the key node of the last step.

    Falls back to the deepest node that exists, so a message always has a line to point at.
    """
    import yaml

    node = root
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        if isinstance(node, yaml.MappingNode):
            found = None
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                    found = key_node if (last and key) else value_node
            if found is None:
                return node
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def position(node: yaml.Node | None) -> tuple[int, int]:
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


def duplicate_keys(root: yaml.Node | None) -> list[yaml.Node]:
    """Key nodes that repeat a key of their mapping (by text): YAML keeps the last silently, losing the first."""
    import yaml

    found: list[yaml.Node] = []
    stack = [root] if root is not None else []
    seen: set[int] = set()  # aliases can share nodes
    mapping, sequence, scalar = yaml.MappingNode, yaml.SequenceNode, yaml.ScalarNode
    while stack:
        node = stack.pop()
        kind = node.__class__
        if kind is scalar or id(node) in seen:
            continue
        seen.add(id(node))
        if kind is mapping:
            pairs = node.value
            keys = [k.value for k, _ in pairs if k.__class__ is scalar]
            if len(set(keys)) != len(keys):
                first: set[str] = set()
                for key_node, _ in pairs:
                    if key_node.__class__ is scalar:
                        if key_node.value in first:
                            found.append(key_node)
                        first.add(key_node.value)
            stack.extend(value for _, value in pairs)
        elif kind is sequence:
            stack.extend(node.value)
    return found
