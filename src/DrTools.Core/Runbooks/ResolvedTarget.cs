using DrTools.Core.Sandboxes;

namespace DrTools.Core.Runbooks;

internal sealed record ResolvedTarget(Engines.IDrillTarget Store, Sandbox? Sandbox);
