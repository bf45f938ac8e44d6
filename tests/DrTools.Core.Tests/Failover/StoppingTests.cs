namespace DrTools.Core.Tests;

/// <summary>A stop whose token carries a client library's cancellation callback that fails on a closed connection.</summary>
public sealed class StoppingTests
{
    [Fact]
    public void A_closed_connections_failing_cancellation_does_not_fail_the_stop_and_every_other_callback_runs()
    {
        using var source = new CancellationTokenSource();
        var ran = false;
        source.Token.Register(() => throw new ObjectDisposedException("ManualResetEventSlim"));
        source.Token.Register(() => ran = true);

        Stopping.Stop(source);

        Assert.True(source.IsCancellationRequested);
        Assert.True(ran);
    }

    [Fact]
    public void Any_other_failure_of_a_callback_is_the_stops()
    {
        using var source = new CancellationTokenSource();
        source.Token.Register(() => throw new NullReferenceException("not a client library's"));

        var error = Assert.Throws<AggregateException>(() => Stopping.Stop(source));

        Assert.IsType<NullReferenceException>(Assert.Single(error.InnerExceptions));
    }
}
