using System.Management.Automation;
using DrTools.Core;

namespace DrTools.PowerShell;

/// <summary>
/// Recovery target times must say their zone: a DateTimeOffset, a DateTime that is UTC or local (Get-Date), or a
/// string with an offset. A string or DateTime without a zone is refused rather than guessed.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TimestampTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        try
        {
            return value switch
            {
                DateTimeOffset time => time,
                DateTime { Kind: DateTimeKind.Unspecified } time
                    => throw new DrToolsException($"time: {time:yyyy-MM-dd HH:mm:ss} has no time zone; pass Get-Date, a [datetimeoffset] "
                    + $"or a string with an offset, e.g. {TimestampText.Forms}.", DrErrorKind.InvalidArgument),
                DateTime time => new DateTimeOffset(time),
                string text => TimestampText.Parse(text, "time"),
                _
                    => throw new DrToolsException($"time: a {value?.GetType().Name ?? "null"} is not a point in time; write e.g. "
                    + $"{TimestampText.Forms}.", DrErrorKind.InvalidArgument),
            };
        }
        catch (DrToolsException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}
