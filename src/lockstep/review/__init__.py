"""Pull-request review: the metric/param/data report between two revisions, the regression gate,
the sticky PR comment and the small GitHub REST client it uses."""
