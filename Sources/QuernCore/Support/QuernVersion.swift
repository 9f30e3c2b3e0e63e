/// Quern's version: the one place it is written. `quern --version` prints it, every run's log
/// (`run_started`) and `summary.json` record it, and the compare report shows it in its header.
/// Raise it when a release changes what users see (flags, files, formats).
public enum QuernVersion {
    public static let current = "0.9.0"
}
