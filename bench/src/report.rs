//! The summary of a run as Markdown: README's benchmark table comes from here.
//!
//! Every part adds what it measured; [`Report::print`] writes it at the end of the run,
//! after the detailed tables each part printed as it went.

use std::fmt::Write as _;

/// One measure of the second table.
#[derive(Debug)]
struct Row {
    measure: String,
    berth: String,
    reference: String,
    target: String,
}

/// What a run measured, for the Markdown summary.
#[derive(Debug, Default)]
pub struct Report {
    machine: String,
    latency: String,
    rows: Vec<Row>,
}

impl Report {
    /// The line naming the machine, the daemon and the clients' versions.
    pub fn machine(&mut self, line: String) {
        self.machine = line;
    }

    /// The latency table (already Markdown).
    pub fn latency(&mut self, table: String) {
        self.latency = table;
    }

    /// A measure of berth's against a reference (`–` where there is none) and its target.
    pub fn row(
        &mut self,
        measure: impl Into<String>,
        reference: impl Into<String>,
        berth: String,
        target: impl Into<String>,
    ) {
        self.rows.push(Row {
            measure: measure.into(),
            berth,
            reference: reference.into(),
            target: target.into(),
        });
    }

    /// The summary as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.machine);
        if !self.latency.is_empty() {
            let _ = writeln!(out);
            out.push_str(&self.latency);
        }
        if !self.rows.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "| measure | berth | reference | target |");
            let _ = writeln!(out, "| --- | --- | --- | --- |");
            for r in &self.rows {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    r.measure, r.berth, r.reference, r.target
                );
            }
        }
        out
    }

    /// Prints the summary under a heading.
    pub fn print(&self) {
        println!();
        println!("summary (Markdown; README's benchmark table):");
        println!();
        print!("{}", self.markdown());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_has_every_row() {
        let mut r = Report::default();
        r.machine("machine: 2 cores".into());
        r.row("exec 1 GiB", "curl 100 MB/s", "98 MB/s".into(), "≥ 97%");
        let md = r.markdown();
        assert!(md.starts_with("machine: 2 cores\n"), "{md}");
        assert!(
            md.contains("| exec 1 GiB | 98 MB/s | curl 100 MB/s | ≥ 97% |"),
            "{md}"
        );
        assert!(!md.contains("| op |"), "no latency table was given: {md}");
    }
}
