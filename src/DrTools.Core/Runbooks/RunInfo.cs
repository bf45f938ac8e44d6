namespace DrTools.Core.Runbooks;

/// <summary>The built-in variable ${run}: ${run.id}, ${run.directory} (a scratch folder removed when the run ends),
/// ${run.startedAt}.</summary>
public sealed record RunInfo(string Id, string Directory, DateTimeOffset StartedAt);
