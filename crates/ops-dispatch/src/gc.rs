//! gc (todo)
