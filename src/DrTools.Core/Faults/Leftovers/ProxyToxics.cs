using DrTools.Core.Faults.Proxy;

namespace DrTools.Core.Faults.Leftovers;

/// <summary>The toxics on the members' listeners of their sandbox's fault proxy (one proxy per sandbox).</summary>
internal sealed class ProxyToxics : FaultLeftover
{
    public static ProxyToxics Instance { get; } = new();

    public override string Name => "proxy toxic";

    public override async Task<IReadOnlyList<string>> FindAsync(IReadOnlyList<FaultMember> members, CancellationToken cancellationToken)
    {
        var toxics = new List<string>();
        foreach (var proxy in members.Select(m => m.Proxy).OfType<FaultProxyEndpoint>().GroupBy(p => p.ControlSocket))
        {
            var control = new FaultProxyControl(proxy.Key);
            if (!control.Exists) continue;
            var ports = proxy.Select(p => p.Port).ToHashSet();
            toxics.AddRange((await control.ListAsync(cancellationToken)).Where(l => ports.Contains(l.Port))
                .SelectMany(l => l.Toxics.Select(t => $"{t.Kind} {t.Id} on port {l.Port}")));
        }
        return toxics;
    }
}
