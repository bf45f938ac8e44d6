using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using DrTools.Core.Backups;
using DrTools.Core.Cleanup;
using DrTools.Core.Postgres;

namespace DrTools.PowerShell;

/// <summary>
/// Tab completion for what an ops shell user would otherwise look up: sandbox ids, member names, runbook files, backup
/// ids and repository folders. A completer never throws: what it cannot read, it does not offer.
/// </summary>
public abstract class DrCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var word = wordToComplete.Trim('\'', '"');
        try
        {
            var bound = new Hashtable(fakeBoundParameters, StringComparer.OrdinalIgnoreCase);
            if (PipedValue(commandAst) is { } piped) bound[Piped] = piped;
            return Candidates(word, bound)
                .Where(c => c.Text.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                .Select(c => new CompletionResult(Quote(c.Text), c.Text, CompletionResultType.ParameterValue, c.Tooltip))
                .ToList();
        }
        catch (Exception e) when (e is Core.DrToolsException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The key under which the bound parameters hold the value piped into the command, where it can be known.</summary>
    protected const string Piped = "<piped>";

    /// <summary>
    /// The value of a variable piped into the command (<c>$sb | Invoke-DbFailover -Candidate</c>), read from the session:
    /// PowerShell binds pipeline input only when the command runs, so the fake bound parameters never hold it. What
    /// is not a variable is not run to find out.
    /// </summary>
    private static object? PipedValue(CommandAst command)
    {
        if (command.Parent is not PipelineAst pipeline) return null;
        var at = pipeline.PipelineElements.IndexOf(command);
        if (at < 1 || pipeline.PipelineElements[at - 1] is not CommandExpressionAst { Expression: VariableExpressionAst variable })
        {
            return null;
        }
        using var shell = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        var value = shell.AddCommand("Get-Variable").AddParameter("Name", variable.VariablePath.UserPath).AddParameter("ValueOnly")
            .AddParameter("ErrorAction", ActionPreference.Ignore).Invoke().FirstOrDefault();
        return value?.BaseObject;
    }

    /// <summary>Every candidate and what it is (the tooltip); the word typed so far filters them.</summary>
    protected abstract IEnumerable<(string Text, string Tooltip)> Candidates(string word, IDictionary bound);

    protected static string? Bound(IDictionary bound, string name) => bound.Contains(name) ? (bound[name] is PSObject o ? o.BaseObject
        : bound[name])?.ToString() : null;

    /// <summary>
    /// The folder a partly typed path is in, resolved against PowerShell's current location (not the process's), and
    /// the prefix candidates keep so that they complete what was typed.
    /// </summary>
    protected static (string Folder, string Prefix) FolderOf(string word)
    {
        using var shell = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace);
        var location = shell.AddCommand("Get-Location").Invoke<PathInfo>().FirstOrDefault()?.ProviderPath ?? Environment.CurrentDirectory;
        var typed = Path.GetDirectoryName(word);
        var prefix = string.IsNullOrEmpty(typed) ? (word.StartsWith("./", StringComparison.Ordinal) ? "./" : "") : typed.TrimEnd('/') + "/";
        return (Path.GetFullPath(Path.Combine(location, string.IsNullOrEmpty(typed) ? "." : typed)), prefix);
    }

    private static string Quote(string text) => text.Any(c => char.IsWhiteSpace(c)
        || c is '\'' or '"' or '$' or '`' or ';' or '(' or ')' or '{' or '}') ? $"'{text.Replace("'", "''")}'" : text;
}

/// <summary>Sandboxes (and run folders) under -Path or the default sandbox folder.</summary>
public sealed class SandboxIdCompleter : DrCompleter
{
    protected override IEnumerable<(string, string)> Candidates(string word, IDictionary bound) =>
        Leftovers.List(Bound(bound, "Path")).Where(Leftovers.IsRemovable).Select(s => (s.Id,
            $"{s.Kind} {s.State}: {string.Join(", ", s.Members.Select(m => $"{m.Name}:{m.Port}"))}"));
}

/// <summary>
/// Members of the sandbox bound to -Sandbox or piped in (opened, or as Get-DrSandbox lists it), by name, or of the bound
/// -ConnectionString values (host:port).
/// </summary>
public sealed class MemberCompleter : DrCompleter
{
    protected override IEnumerable<(string, string)> Candidates(string word, IDictionary bound)
    {
        var sandbox = bound["Sandbox"] is PSObject o ? o.BaseObject : bound["Sandbox"] ?? bound[Piped];
        if (sandbox is Core.Sandboxes.Sandbox opened) return opened.Members.Select(m => (m.Name, $"127.0.0.1:{m.ClientPort}"));
        if (sandbox is Core.Sandboxes.SandboxInfo listed) return listed.Members.Select(m => (m.Name, $"127.0.0.1:{m.Port}"));
        var strings = bound.Contains("ConnectionString") ? LanguagePrimitives.ConvertTo<string[]>(bound["ConnectionString"]) : [];
        return strings.Select((s, i) => DbMember.Parse(s, i + 1)).Select(m => (m.Endpoint, m.Display));
    }
}

/// <summary>Runbook files (.yml, .yaml) in the folder typed so far.</summary>
public sealed class RunbookFileCompleter : DrCompleter
{
    protected override IEnumerable<(string, string)> Candidates(string word, IDictionary bound)
    {
        var (folder, prefix) = FolderOf(word);
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateDirectories(folder).Select(d => (prefix + Path.GetFileName(d) + "/", "folder"))
            .Concat(Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".yaml",
                StringComparison.Ordinal)).Select(f => (prefix + Path.GetFileName(f), "runbook")))
            .OrderBy(c => c.Item1, StringComparer.Ordinal);
    }
}

/// <summary>Backups in the bound -Repository, newest first.</summary>
public sealed class BackupIdCompleter : DrCompleter
{
    protected override IEnumerable<(string, string)> Candidates(string word, IDictionary bound) =>
        Bound(bound, "Repository") is { } repository
            ? BackupRepository.Open(repository, create: false).Backups.Reverse().Select(b => (b.Id,
                $"{b.Source}, finished {b.FinishedAt:u}"))
            : [];
}

/// <summary>Folders that are backup repositories (they hold catalog.json), and folders on the way to them.</summary>
public sealed class RepositoryCompleter : DrCompleter
{
    protected override IEnumerable<(string, string)> Candidates(string word, IDictionary bound)
    {
        var (folder, prefix) = FolderOf(word);
        if (!Directory.Exists(folder)) return [];
        return Directory.EnumerateDirectories(folder)
            .Select(d => (prefix + Path.GetFileName(d), File.Exists(Path.Combine(d, "catalog.json")) ? "backup repository" : "folder"))
            .OrderByDescending(c => c.Item2 == "backup repository").ThenBy(c => c.Item1, StringComparer.Ordinal);
    }
}
