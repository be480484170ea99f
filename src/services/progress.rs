//! How a long piece of work says how far it has got, without knowing who is watching: the CLI
//! draws a bar on a terminal, everything else passes `&Silent`.

pub trait Progress: Sync {
    /// Work on `what` begins; `total` items when known.
    fn start(&self, what: &str, total: Option<u64>);
    /// `n` more items done.
    fn advance(&self, n: u64);
    fn finish(&self);
}

/// Reports nothing.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _what: &str, _total: Option<u64>) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}
