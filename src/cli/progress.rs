//! A progress bar on standard error for long work, drawn only when standard error is a
//! terminal (nothing in scripts, pipes or logs).

use crate::services::progress::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;

pub struct Bar(Mutex<Option<ProgressBar>>);

impl Bar {
    pub fn new() -> Self {
        Bar(Mutex::new(None))
    }
}

impl Progress for Bar {
    fn start(&self, what: &str, total: Option<u64>) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let style = match total {
            Some(_) => ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({eta} left)"),
            None => ProgressStyle::with_template("{msg} {spinner} {pos}"),
        };
        if let Ok(style) = style {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(what.to_string());
        if let Ok(mut b) = self.0.lock() {
            *b = Some(bar);
        }
    }

    fn advance(&self, n: u64) {
        if let Ok(b) = self.0.lock() {
            if let Some(b) = b.as_ref() {
                b.inc(n);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut b) = self.0.lock() {
            if let Some(b) = b.take() {
                b.finish_and_clear();
            }
        }
    }
}
