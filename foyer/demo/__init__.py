"""Demo households: a believable French couple's configuration and bank statements.

Camille and Hugo (two net salaries of ~2,900 € and ~2,300 €) rent near Paris; each month
brings their salaries, rent and direct debits matching their fixed lines, transfers to
their savings provisions, and card payments at the merchants a couple uses, with the
seasons' gifts and holidays. Every amount is integer cents; a seed gives the same data.

- `household`: the couple, their fixed lines and provisions, and the rows those produce;
- `merchants`: where they spend, how often and how much;
- `generator`: one month of rows (`month_rows`), fast enough for the bench's millions;
- `loader`: `load_demo` into a database, with a progress bar.
"""

from foyer.demo.generator import month_rows
from foyer.demo.loader import CHUNK, DemoExistsError, DemoSpec, load_demo

__all__ = ["CHUNK", "DemoExistsError", "DemoSpec", "load_demo", "month_rows"]
