namespace DrTools.Core.Runbooks.Reports;

/// <summary>The report formats, by name; what each is lives in <see cref="ReportFormats"/>.</summary>
public enum ReportFormat { Markdown, Html, Json, JUnit, NUnit, Pdf }
