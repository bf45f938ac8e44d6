using System.Runtime.CompilerServices;

namespace DrTools.Core.Tests;

/// <summary>
/// One fault registry for this test process, set before any test runs: DRTOOLS_FAULT_STATE is process-wide, and
/// fixtures that each pointed it at their own folder (then deleted it) pulled it from under tests running beside them.
/// The classes that start faults share the "Faults" collection, so that one's sweep of its own faults never undoes another's.
/// </summary>
internal static class FaultStateForTests
{
    [ModuleInitializer]
    internal static void Use()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"drtools-test-faults-{Environment.ProcessId}");
        Environment.SetEnvironmentVariable("DRTOOLS_FAULT_STATE", folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        };
    }
}

[CollectionDefinition("Faults")]
public sealed class FaultsCollection;
