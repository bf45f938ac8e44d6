using System.Management.Automation;
using DrTools.Core;

namespace DrTools.PowerShell;

/// <summary>Lets duration parameters take what people type: 30s, 500ms, 2m, a number of seconds, or a TimeSpan.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class DurationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        try
        {
            return value switch
            {
                TimeSpan span => span,
                int or long or double or float or decimal => TimeSpan.FromSeconds(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
                string text => DurationText.Parse(text, "duration"),
                _ => throw new DrToolsException($"duration: a {value?.GetType().Name ?? "null"} is not a duration; write for example 30s.", DrErrorKind.InvalidArgument),
            };
        }
        catch (DrToolsException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}
