using k8s;
using System.Diagnostics;

namespace DrTools.Core.Tests;

/// <summary>
/// A real Kubernetes API server with four simulated nodes from `kube-lab` (../shared/tools/kubernetes beside the
/// checkout, or KUBE_LAB naming it), started through tests/kube-lab.sh (each simulated node's runtime its own), in a
/// loopback-only network namespace of its own, removed when the class ends. DRTOOLS_TEST_KUBECONFIG instead names a
/// disposable cluster of the user's (kind, k3d).
/// </summary>
public sealed class KubeLab : IAsyncLifetime
{
    private readonly TemporaryRoot _root = new();

    public string Kubeconfig { get; private set; } = "";

    /// <summary>Of this run: in the names of what the tests make, and the value of their drtools-test label.</summary>
    public string Run { get; } = Guid.NewGuid().ToString("n")[..6];

    /// <summary>Labels what a test makes, so that a cluster of the user's is left as it was.</summary>
    public Dictionary<string, string> Labels => new() { ["drtools-test"] = Run };

    /// <summary>Where kube-lab is, or null with why the Kubernetes tests cannot run here.</summary>
    public static (string? Path, string? Missing) Find()
    {
        if (Environment.GetEnvironmentVariable("DRTOOLS_TEST_KUBECONFIG") is { Length: > 0 }) return (null, null);
        var candidates = new[] { Environment.GetEnvironmentVariable("KUBE_LAB") }
            .Concat(Ancestors(AppContext.BaseDirectory).Select(d => System.IO.Path.Combine(d, "shared", "tools", "kubernetes", "kube-lab")))
            .OfType<string>();
        var found = candidates.FirstOrDefault(File.Exists);
        if (found is null) return (null, "no kube-lab beside the checkout and no DRTOOLS_TEST_KUBECONFIG (README: Kubernetes tests)");
        return Environment.UserName == "root" ? (found, null) : (null, "kube-lab needs root");
    }

    private static IEnumerable<string> Ancestors(string directory)
    {
        for (var d = new DirectoryInfo(directory); d is not null; d = d.Parent) yield return d.FullName;
    }

    public async Task InitializeAsync()
    {
        if (Environment.GetEnvironmentVariable("DRTOOLS_TEST_KUBECONFIG") is { Length: > 0 } given)
        {
            Kubeconfig = given;
            return;
        }
        // None to be had: every test of the collection reports itself skipped (KubernetesFact), saying why.
        if (Find().Path is not { } lab) return;
        // Four nodes: a workload of three, one pod a node, has a free node for a drained node's pod.
        var output = await RunAsync(lab, "up", _root.Path, "4");
        Kubeconfig = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Last(line => line.EndsWith("kubeconfig", StringComparison.Ordinal));
    }

    public async Task DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("DRTOOLS_TEST_KUBECONFIG") is { Length: > 0 })
        {
            using var client = new k8s.Kubernetes(k8s.KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));
            var selector = $"drtools-test={Run}";
            await client.RbacAuthorizationV1.DeleteCollectionClusterRoleBindingAsync(labelSelector: selector);
            await client.RbacAuthorizationV1.DeleteCollectionClusterRoleAsync(labelSelector: selector);
            foreach (var ns in (await client.CoreV1.ListNamespaceAsync(labelSelector: selector)).Items)
            {
                await client.CoreV1.DeleteNamespaceAsync(ns.Metadata.Name);
            }
        }
        if (Find() is ({ } lab, _) && File.Exists(System.IO.Path.Combine(_root.Path, "kubeconfig")))
        {
            await RunAsync(lab, "down", _root.Path);
        }
        _root.Dispose();
    }

    private async Task<string> RunAsync(string lab, params string[] arguments)
    {
        var wrapper = Ancestors(AppContext.BaseDirectory).Select(d => System.IO.Path.Combine(d, "tests", "kube-lab.sh"))
            .First(File.Exists);
        var start = new ProcessStartInfo(wrapper) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["KUBE_LAB"] = lab;
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var (output, error) = (process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"kube-lab {string.Join(' ', arguments)}: exit {process.ExitCode}: {await error}");
        return await output;
    }
}

/// <summary>A test that needs a Kubernetes API server: skipped, saying why, where none can be had.</summary>
public sealed class KubernetesFactAttribute : FactAttribute
{
    public KubernetesFactAttribute()
    {
        if (KubeLab.Find().Missing is { } missing) Skip = missing;
    }
}

/// <summary>
/// A test that needs a kube-lab of its own, as it takes a node away for good: skipped where none can be had, and where
/// DRTOOLS_TEST_KUBECONFIG names a cluster of the user's.
/// </summary>
public sealed class OwnKubeLabFactAttribute : FactAttribute
{
    public OwnKubeLabFactAttribute()
    {
        var (path, missing) = KubeLab.Find();
        Skip = missing ?? (path is null ? "it deletes a node: only on a kube-lab of its own, not the cluster DRTOOLS_TEST_KUBECONFIG names"
            : null);
    }
}

/// <summary>A theory that needs a Kubernetes API server: skipped, saying why, where none can be had.</summary>
public sealed class KubernetesTheoryAttribute : TheoryAttribute
{
    public KubernetesTheoryAttribute()
    {
        if (KubeLab.Find().Missing is { } missing) Skip = missing;
    }
}
