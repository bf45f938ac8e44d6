namespace DrTools.Core.Runbooks;

public sealed record RunbookRunOptions
{
    /// <summary>Folder of the drill history the run is recorded in (default <see cref="DrillHistory.DefaultRoot"/>).</summary>
    public string? HistoryRoot { get; init; }
    /// <summary>Who ran the drill, for the report (default the OS user).</summary>
    public string? Tester { get; init; }
    /// <summary>Folder sandboxes are created in (default the sandbox default).</summary>
    public string? SandboxRoot { get; init; }
    public IRunObserver? Observer { get; init; }
    public IScriptHost? ScriptHost { get; init; }
}
