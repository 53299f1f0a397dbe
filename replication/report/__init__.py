"""The report: paper-style tables (md, tex, csv), figures and the headline table from results/."""
