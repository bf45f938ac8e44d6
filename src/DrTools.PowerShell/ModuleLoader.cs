using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace DrTools.PowerShell;

/// <summary>
/// Loads DrTools.Core and its dependencies (Npgsql …) from the module's dependencies/ folder into a module-private
/// AssemblyLoadContext, so they never clash with another module's copies of the same libraries.
/// Only DrTools.Core is resolved for the default context: everything else it needs is found inside the private one.
/// </summary>
public sealed class ModuleLoader : IModuleAssemblyInitializer
{
    private static readonly string DependencyDirectory = Path.Combine(Path.GetDirectoryName(typeof(ModuleLoader).Assembly.Location)!,
        "dependencies");
    private static readonly DependencyLoadContext Dependencies = new(DependencyDirectory);
    private static int _registered;

    public void OnImport()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0) AssemblyLoadContext.Default.Resolving += ResolveCore;
    }

    private static Assembly? ResolveCore(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == "DrTools.Core" ? Dependencies.LoadFromAssemblyName(name) : null;

    private sealed class DependencyLoadContext(string directory) : AssemblyLoadContext("DrTools", isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            var path = Path.Combine(directory, $"{name.Name}.dll");
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
}
