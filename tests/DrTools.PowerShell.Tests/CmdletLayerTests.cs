using System.Diagnostics;
using System.Reflection;
using System.Xml.Linq;

namespace DrTools.PowerShell.Tests;

public sealed class CmdletLayerTests(CmdletFixture fixture) : IClassFixture<CmdletFixture>
{
    private readonly CmdletMetadata _metadata = fixture.Metadata;

    /// <summary>Cmdlets that change state: each must support -WhatIf/-Confirm.</summary>
    private static readonly HashSet<string> StateChangingVerbs = ["New", "Remove", "Set", "Invoke", "Restore", "Start", "Stop", "Reset", "Clear", "Update", "Add", "Move", "Rename", "Enable", "Disable", "Register", "Unregister", "Install", "Uninstall", "Backup", "Export", "Import"];

    /// <summary>Cmdlets that destroy data or disrupt service (failover, kill, delete, restore over): each must confirm by default.</summary>
    private static readonly HashSet<string> DestructiveVerbs = ["Remove", "Invoke", "Restore", "Stop", "Reset", "Clear", "Uninstall"];

    [Fact]
    public void The_assembly_has_the_cmdlets_of_the_foundation()
    {
        Assert.Superset(new HashSet<string> { "New-DrSandbox", "Remove-DrSandbox", "Get-DrSandbox", "Get-DbClusterStatus", "Test-ReplicationLag" }, _metadata.Cmdlets.Select(c => c.Name).ToHashSet());
    }

    [Fact]
    public void Every_cmdlet_is_exported_by_the_manifest_and_every_export_is_a_cmdlet()
    {
        Assert.Equal(_metadata.Cmdlets.Select(c => c.Name).Order(), CmdletMetadata.ManifestExports.Order());
    }

    [Fact]
    public void Every_runbook_operation_is_a_cmdlet_and_takes_that_cmdlets_parameters()
    {
        foreach (var operation in Core.Runbooks.Operations.OperationCatalog.All)
        {
            var cmdlet = _metadata.Cmdlets.SingleOrDefault(c => c.Name == operation.Name);
            Assert.True(cmdlet is not null, $"runbook operation {operation.Name} has no cmdlet of that name");
            var parameters = _metadata.Parameters(cmdlet).Select(p => p.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
            // "target" names a runbook target where the cmdlet takes -ConnectionString or -Sandbox.
            foreach (var parameter in operation.Parameters.Where(p => p.Name != "target"))
            {
                Assert.True(parameters.Contains(parameter.Name), $"{operation.Name}: runbook parameter '{parameter.Name}' is not a parameter of the cmdlet ({string.Join(", ", parameters)})");
            }
        }
    }

    [Fact]
    public void Every_cmdlet_uses_an_approved_verb()
    {
        var approved = _metadata.ApprovedVerbs;
        Assert.Contains("Get", approved);
        Assert.All(_metadata.Cmdlets, c => Assert.True(approved.Contains(c.Verb), $"{c.Name}: '{c.Verb}' is not an approved verb"));
    }

    [Fact]
    public void Every_cmdlet_is_a_sealed_VerbNounCommand_class_in_a_file_of_its_own()
    {
        foreach (var cmdlet in _metadata.Cmdlets)
        {
            Assert.True(cmdlet.Type.IsSealed, $"{cmdlet.Type.Name} is not sealed");
            Assert.Equal($"{cmdlet.Verb}{cmdlet.Noun}Command", cmdlet.Type.Name);
            var file = Path.Combine(CmdletMetadata.RepositoryRoot, "src", "DrTools.PowerShell", $"{cmdlet.Type.Name}.cs");
            Assert.True(File.Exists(file), $"{cmdlet.Type.Name} is not in {file}");
            Assert.Single(File.ReadAllLines(file), line => line.TrimStart().StartsWith("[Cmdlet(", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// Help text lives in Help/*.md (### -Name under ## PARAMETERS): the cmdlet's own file, or for a parameter a base
    /// class declares, the file named after that class; none in the attributes, and none for a parameter that is not there.
    /// </summary>
    [Fact]
    public void Every_parameter_has_help_text_in_the_help_source_of_the_class_that_declares_it()
    {
        var parameters = _metadata.Cmdlets.SelectMany(_metadata.Parameters).ToList();
        Assert.NotEmpty(parameters);
        var sources = new Dictionary<string, HashSet<string>>();
        foreach (var parameter in parameters)
        {
            Assert.True(parameter.HelpMessage is null, $"{parameter.Cmdlet} -{parameter.Name}: help text belongs in Help/*.md");
            var owner = parameter.DeclaredBy == $"{parameter.Cmdlet.Replace("-", "", StringComparison.Ordinal)}Command"
                ? parameter.Cmdlet : parameter.DeclaredBy;
            if (!sources.ContainsKey(owner)) sources[owner] = [];
            sources[owner].Add(parameter.Name);
        }
        foreach (var (owner, declared) in sources)
        {
            var described = HelpSourceParameters(Path.Combine(CmdletMetadata.RepositoryRoot, "src", "DrTools.PowerShell", "Help", $"{owner}.md"));
            Assert.Empty(declared.Except(described.Keys).Select(name => $"{owner}.md lacks ### -{name}"));
            Assert.Empty(described.Keys.Except(declared).Select(name => $"{owner}.md describes -{name}, which it does not declare"));
            Assert.All(described, d => Assert.False(string.IsNullOrWhiteSpace(d.Value), $"{owner}.md: ### -{d.Key} has no text"));
        }
    }

    /// <summary>Each "### -Name" under "## PARAMETERS" with the text up to the next heading.</summary>
    private static Dictionary<string, string> HelpSourceParameters(string file)
    {
        var described = new Dictionary<string, string>();
        var inParameters = false;
        string? current = null;
        foreach (var line in File.ReadLines(file))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal)) inParameters = line == "## PARAMETERS";
            else if (inParameters && line.StartsWith("### -", StringComparison.Ordinal)) described[current = line[5..].Trim()] = "";
            else if (inParameters && current is not null) described[current] += line;
        }
        return described;
    }

    /// <summary>Where each parameter that takes only some values gets them: a list typed once, in Core.</summary>
    private static IReadOnlyList<string>? NamesSource(string cmdlet, string parameter) => (cmdlet, parameter) switch
    {
        (_, "Engine") => Core.Engines.StoreEngines.Names,
        ("New-DbBackup", "Kind") => Core.Engines.StoreEngines.BackupKinds,
        ("New-DbBackup", "Compression") => Enum.GetNames<Core.Backups.BackupCompression>(),
        ("Start-DrFault", "Kind") => [.. Core.Faults.Faults.DatabaseKinds.Select(k => k.ToString())],
        ("Invoke-DbFailover", "Fault") => Core.Failover.DrillFaults.Names,
        ("Invoke-DbFailover", "Mode") => Enum.GetNames<Core.Failover.FailoverMode>(),
        ("Invoke-DbFailover", "RecoveredBy") => Enum.GetNames<Core.Failover.RecoveredBy>(),
        ("Invoke-DrStep", "Objective") => Core.Runbooks.ScriptedRun.StepObjectives,
        ("New-DrSandbox", "Topology") => Enum.GetNames<Core.Sandboxes.SandboxTopology>(),
        ("Export-DrReport", "Format") => Enum.GetNames<Core.Runbooks.Reports.ReportFormat>(),
        ("Wait-DrAlert", "State") => Enum.GetNames<Core.Monitoring.AlertState>(),
        _ => null,
    };

    [Fact]
    public void Every_ValidateSet_is_a_list_of_names_Core_types_once()
    {
        var sets = _metadata.Cmdlets
            .SelectMany(c => _metadata.ValidateSets(c).Select(s => (Cmdlet: c.Name, s.Parameter, s.Values))).ToList();
        Assert.Contains(sets, s => s.Parameter == "Engine");
        foreach (var (cmdlet, parameter, values) in sets)
        {
            var source = NamesSource(cmdlet, parameter);
            Assert.True(source is not null, $"{cmdlet} -{parameter}: [ValidateSet] with no list in Core named as its source here");
            AssertSameNames(source, values, $"{cmdlet} -{parameter}");
        }
    }

    private static void AssertSameNames(IEnumerable<string> expected, IEnumerable<string> actual, string where)
    {
        var (want, have) = (expected.ToHashSet(StringComparer.OrdinalIgnoreCase), actual.ToHashSet(StringComparer.OrdinalIgnoreCase));
        Assert.True(want.SetEquals(have),
            $"{where}: lacks {string.Join(", ", want.Except(have))}; has beyond it {string.Join(", ", have.Except(want))}");
    }

    [Fact]
    public void Every_runbook_choice_is_the_values_its_cmdlet_takes()
    {
        var choices = Core.Runbooks.Operations.OperationCatalog.All
            .SelectMany(o => o.Parameters.Where(p => p.Choices.Count > 0).Select(p => (Operation: o.Name, p.Name, p.Choices))).ToList();
        Assert.NotEmpty(choices);
        foreach (var (operation, parameter, values) in choices)
        {
            var cmdlet = _metadata.Cmdlets.Single(c => c.Name == operation);
            var set = _metadata.ValidateSets(cmdlet)
                .SingleOrDefault(s => s.Parameter.Equals(parameter, StringComparison.OrdinalIgnoreCase));
            Assert.True(set.Values is not null,
                $"{operation} -{parameter} takes any value; the runbook parameter takes {string.Join(", ", values)}");
            AssertSameNames(set.Values, values, $"runbook {operation}: {parameter}");
        }
    }

    /// <summary>
    /// A script-driven drill's own cmdlets record the run and run the caller's script blocks; the DrTools cmdlets inside
    /// those blocks confirm for themselves (a prompt per step would make every drill script interactive).
    /// </summary>
    private static readonly HashSet<string> ScriptRunCmdlets = ["Start-DrRun", "Invoke-DrStep", "Register-DrCleanup"];

    [Fact]
    public void State_changing_cmdlets_support_ShouldProcess_and_destructive_ones_confirm_with_High_impact()
    {
        foreach (var cmdlet in _metadata.Cmdlets.Where(c => !ScriptRunCmdlets.Contains(c.Name)))
        {
            if (StateChangingVerbs.Contains(cmdlet.Verb)) Assert.True(cmdlet.SupportsShouldProcess, $"{cmdlet.Name} changes state but does not support ShouldProcess");
            if (DestructiveVerbs.Contains(cmdlet.Verb)) Assert.True(cmdlet.ConfirmImpact == "High", $"{cmdlet.Name} is destructive but its ConfirmImpact is {cmdlet.ConfirmImpact}");
        }
        Assert.Contains(_metadata.Cmdlets, c => c.Name == "Remove-DrSandbox" && c.ConfirmImpact == "High");
    }

    [Fact]
    public void Cmdlets_that_return_objects_declare_them_and_the_format_file_has_a_view_for_each()
    {
        var views = XDocument.Load(Path.Combine(CmdletMetadata.RepositoryRoot, "module", "DrTools.Format.ps1xml"))
            .Descendants("TypeName").Select(t => t.Value.Trim()).ToHashSet();
        foreach (var cmdlet in _metadata.Cmdlets.Where(c => c.Verb != "Remove"))
        {
            Assert.True(cmdlet.OutputTypes.Count > 0, $"{cmdlet.Name} has no [OutputType]");
            foreach (var type in cmdlet.OutputTypes.Where(t => t.Namespace!.StartsWith("DrTools", StringComparison.Ordinal)))
            {
                Assert.True(views.Contains(type.FullName!), $"{cmdlet.Name} returns {type.FullName}, which has no view in DrTools.Format.ps1xml");
            }
        }
    }

    [Fact]
    public void The_shared_base_cmdlet_cancels_on_StopProcessing_and_every_cmdlet_derives_from_it()
    {
        var baseType = _metadata.Assembly.GetType("DrTools.PowerShell.DrCmdlet")!;
        Assert.NotNull(baseType.GetMethod("StopProcessing", BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.DeclaredOnly));
        Assert.All(_metadata.Cmdlets, c => Assert.True(c.Type.IsSubclassOf(baseType), $"{c.Name} does not derive from DrCmdlet"));
    }

    [Fact]
    public void No_cmdlet_holds_a_value_type_of_DrTools_Core_which_would_fail_to_load_before_the_module_initializer_runs()
    {
        foreach (var cmdlet in _metadata.Cmdlets)
        {
            for (var type = cmdlet.Type; type is not null && type.Assembly == _metadata.Assembly; type = type.BaseType)
            {
                foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    var fieldType = field.FieldType.IsGenericType && field.FieldType.GetGenericTypeDefinition().FullName == "System.Nullable`1"
                        ? field.FieldType.GetGenericArguments()[0]
                        : field.FieldType;
                    Assert.False(fieldType.IsValueType && fieldType.Assembly.GetName().Name == "DrTools.Core", $"{type.Name}.{field.Name} is a {fieldType.FullName}");
                }
            }
        }
    }

    [Fact]
    public void The_module_initializer_loads_dependencies_in_a_private_load_context()
    {
        var initializer = _metadata.Assembly.GetType("DrTools.PowerShell.ModuleLoader")!;
        Assert.Contains(initializer.GetInterfaces(), i => i.FullName == "System.Management.Automation.IModuleAssemblyInitializer");
    }

    [Fact]
    public void The_manifest_targets_PowerShell_7_6_Core_and_is_the_source_of_the_assembly_version()
    {
        Assert.Equal("7.6", CmdletMetadata.ManifestValue("PowerShellVersion"));
        Assert.Equal("Core", CmdletMetadata.ManifestValue("CompatiblePSEditions"));
        Assert.Equal("DrTools.PowerShell.dll", CmdletMetadata.ManifestValue("RootModule"));
        var version = CmdletMetadata.ManifestValue("ModuleVersion");
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        Assert.Equal(Version.Parse(version), new Version(FileVersionInfo.GetVersionInfo(CmdletMetadata.CmdletAssemblyPath).FileVersion!).ToString(3) is var v ? Version.Parse(v) : null);
    }

    [Fact]
    public void Package_lays_out_a_loadable_module_with_dependencies_apart()
    {
        var output = Directory.CreateTempSubdirectory("drtools-package-").FullName;
        try
        {
            var publish = Process.Start(new ProcessStartInfo("dotnet", ["publish", Path.Combine(CmdletMetadata.RepositoryRoot, "src", "DrTools.PowerShell"), "-c", "Release", $"-p:ModuleOutputRoot={output}", "-o", Path.Combine(output, "publish")])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var log = publish.StandardOutput.ReadToEnd();
            publish.WaitForExit();
            Assert.True(publish.ExitCode == 0, log);

            var module = Path.Combine(output, "DrTools", CmdletMetadata.ManifestValue("ModuleVersion"));
            foreach (var file in new[] { "DrTools.psd1", "DrTools.Format.ps1xml", "DrTools.PowerShell.dll", "en-US/about_DrTools.help.txt", "dependencies/DrTools.Core.dll", "dependencies/Npgsql.dll", "dependencies/YamlDotNet.dll" })
            {
                Assert.True(File.Exists(Path.Combine(module, file)), $"{file} missing from the packaged module");
            }
            // Only the cmdlet assembly beside the manifest: everything else must load in the module's own context.
            Assert.Equal(["DrTools.PowerShell.dll"], Directory.GetFiles(module, "*.dll").Select(Path.GetFileName));
            Assert.Empty(Directory.GetFiles(module, "System.Management.Automation.dll", SearchOption.AllDirectories));
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}

public sealed class CmdletFixture : IDisposable
{
    public CmdletMetadata Metadata { get; } = new();
    public void Dispose() => Metadata.Dispose();
}
