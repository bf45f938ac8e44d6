using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace DrTools.PowerShell.Tests;

public sealed record CmdletInfo(Type Type, string Verb, string Noun, bool SupportsShouldProcess, string ConfirmImpact, IReadOnlyList<Type> OutputTypes)
{
    public string Name => $"{Verb}-{Noun}";
}

/// <param name="DeclaredBy">The class that declares it: the cmdlet's own, or a base class shared by several.</param>
/// <param name="HelpMessage">Help text in the attribute, which belongs in Help/*.md instead.</param>
public sealed record ParameterInfo(string Cmdlet, string Name, string ParameterSet, string DeclaredBy, string? HelpMessage);

/// <summary>The built cmdlet assembly read through MetadataLoadContext, and the module manifest read as text.</summary>
public sealed partial class CmdletMetadata : IDisposable
{
    private static string Setting(string key) => typeof(CmdletMetadata).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepositoryRoot => Path.GetFullPath(Setting("RepositoryRoot"));
    public static string CmdletAssemblyPath => Setting("CmdletAssembly");

    private readonly MetadataLoadContext _context;

    public CmdletMetadata()
    {
        var paths = Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll")
            .Concat(Directory.GetFiles(Path.GetDirectoryName(CmdletAssemblyPath)!, "*.dll"))
            .Append(Setting("PowerShellReference"))
            .GroupBy(Path.GetFileName).Select(g => g.First());
        _context = new MetadataLoadContext(new PathAssemblyResolver(paths));
        Assembly = _context.LoadFromAssemblyPath(CmdletAssemblyPath);
        PowerShell = _context.LoadFromAssemblyName("System.Management.Automation");
        Cmdlets = Assembly.GetTypes().Select(ReadCmdlet).OfType<CmdletInfo>().OrderBy(c => c.Name).ToList();
    }

    public Assembly Assembly { get; }
    public Assembly PowerShell { get; }
    public IReadOnlyList<CmdletInfo> Cmdlets { get; }

    public IEnumerable<ParameterInfo> Parameters(CmdletInfo cmdlet) =>
        cmdlet.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .SelectMany(p => p.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute")
                .Select(a => new ParameterInfo(cmdlet.Name, p.Name, Named<string>(a, "ParameterSetName") ?? "__AllParameterSets",
                    p.DeclaringType!.Name, Named<string>(a, "HelpMessage"))));

    /// <summary>Every parameter of <paramref name="cmdlet"/> that takes only some values, with them ([ValidateSet]).</summary>
    public IEnumerable<(string Parameter, IReadOnlyList<string> Values)> ValidateSets(CmdletInfo cmdlet) =>
        cmdlet.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .SelectMany(p => p.GetCustomAttributesData()
                .Where(a => a.AttributeType.FullName == "System.Management.Automation.ValidateSetAttribute")
                .Select(a => (p.Name, (IReadOnlyList<string>)((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!)
                    .Select(v => (string)v.Value!).ToList())));

    /// <summary>Every verb PowerShell approves, read from the Verbs* classes of System.Management.Automation.</summary>
    public IReadOnlySet<string> ApprovedVerbs => PowerShell.GetTypes()
        .Where(t => t.Namespace == "System.Management.Automation" && t.Name.StartsWith("Verbs", StringComparison.Ordinal))
        .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static)).Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!).ToHashSet();

    private static CmdletInfo? ReadCmdlet(Type type)
    {
        var cmdlet = type.GetCustomAttributesData().SingleOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
        if (cmdlet is null) return null;
        var outputs = type.GetCustomAttributesData().Where(a => a.AttributeType.FullName == "System.Management.Automation.OutputTypeAttribute")
            .SelectMany(a => a.ConstructorArguments.SelectMany(arg => arg.Value is IEnumerable<CustomAttributeTypedArgument> many ? many.Select(m => m.Value) : [arg.Value]))
            .OfType<Type>().ToList();
        var impact = Named<object>(cmdlet, "ConfirmImpact") is { } value ? Enum.GetName(typeof(ConfirmImpactValue), Convert.ToInt32(value))! : "Medium";
        return new CmdletInfo(type, (string)cmdlet.ConstructorArguments[0].Value!, (string)cmdlet.ConstructorArguments[1].Value!,
            Named<bool?>(cmdlet, "SupportsShouldProcess") ?? false, impact, outputs);
    }

    private enum ConfirmImpactValue { None, Low, Medium, High }

    private static T? Named<T>(CustomAttributeData attribute, string name) =>
        attribute.NamedArguments.Where(a => a.MemberName == name).Select(a => (T?)a.TypedValue.Value).FirstOrDefault();

    // ---- The manifest ----

    public static string ManifestText => File.ReadAllText(Path.Combine(RepositoryRoot, "module", "DrTools.psd1"));

    [GeneratedRegex(@"CmdletsToExport\s*=\s*@\((?<list>[^)]*)\)", RegexOptions.Singleline)]
    private static partial Regex ExportsPattern();

    public static IReadOnlyList<string> ManifestExports =>
        Regex.Matches(ExportsPattern().Match(ManifestText).Groups["list"].Value, "'([^']+)'").Select(m => m.Groups[1].Value).ToList();

    public static string ManifestValue(string key) =>
        Regex.Match(ManifestText, $@"^\s*{key}\s*=\s*(@\(\s*)?'(?<value>[^']*)'", RegexOptions.Multiline).Groups["value"].Value;

    public void Dispose() => _context.Dispose();
}
