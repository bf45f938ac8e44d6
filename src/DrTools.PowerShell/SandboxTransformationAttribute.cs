using System.Management.Automation;
using DrTools.Core;
using DrTools.Core.Sandboxes;

namespace DrTools.PowerShell;

/// <summary>
/// Lets a -Sandbox parameter take what Get-DrSandbox lists (a <see cref="SandboxInfo"/>) as well as an opened sandbox,
/// so that <c>Get-DrSandbox | Get-DbClusterStatus</c> binds as <c>Get-DrSandbox -Id x | …</c> does.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SandboxTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        if ((inputData is PSObject wrapped ? wrapped.BaseObject : inputData) is not SandboxInfo listed) return inputData;
        try
        {
            return Sandbox.Open(listed);
        }
        catch (DrToolsException e)
        {
            throw new ArgumentTransformationMetadataException(PrintableText.ForConsole(e.Message), e);
        }
    }
}
