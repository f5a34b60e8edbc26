//! Quality gates and shippers. Not built yet: see the "Audit gates and shipping" issue.
