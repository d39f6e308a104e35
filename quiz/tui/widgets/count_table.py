"""Names with their counts (questions, due, new), as on the home screen."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text as RichText
from textual.widgets import Static


class CountTable(Static):
    """A plain aligned table (first column left, numbers right), sized by terminal cells so Chinese lines up.
    Laid out at the width it has when painted: a narrow terminal cuts the names (with …), never the counts.
    Cheaper to paint than a DataTable, which matters on the first screen."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.show((), [])

    def show(self, headers: tuple[str, ...], rows: list[tuple]) -> None:
        self.cells = [tuple(str(c) for c in headers)] + [tuple(str(c) for c in row) for row in rows]
        self.widths = [max(cell_len(row[i]) for row in self.cells) for i in range(len(headers))] or [0]
        self.counts_width = sum(self.widths[1:]) + 2 * (len(self.widths) - 1)
        self.refresh(layout=True)

    def get_content_width(self, container, viewport) -> int:
        return self.widths[0] + self.counts_width

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.cells)

    def render(self) -> RichText:
        name_width = max(1, min(self.widths[0], self.content_size.width - self.counts_width))
        lines = []
        for number, row in enumerate(self.cells):
            line = RichText(row[0] if row else "", style="bold" if number == 0 else "", no_wrap=True)
            line.truncate(name_width, overflow="ellipsis", pad=True)
            for i in range(1, len(row)):
                line.append("  " + " " * (self.widths[i] - cell_len(row[i])) + row[i])
            lines.append(line)
        return RichText("\n", no_wrap=True).join(lines)
