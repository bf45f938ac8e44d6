using System.Net.Sockets;
using k8s.Autorest;

namespace DrTools.Core.Kubernetes;

/// <summary>One API call, its failure said in one line naming the target and what was asked.</summary>
internal static class KubernetesCalls
{
    public static async Task<T> RunAsync<T>(KubernetesTarget target, string what, Func<CancellationToken, Task<T>> call,
        CancellationToken cancellationToken)
    {
        try
        {
            return await call(cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new DrToolsException($"{target.Name}: cannot {what}: not found", DrErrorKind.InvalidArgument, e);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is System.Net.HttpStatusCode.Forbidden
            or System.Net.HttpStatusCode.Unauthorized)
        {
            throw new DrToolsException($"{target.Name}: cannot {what}: {(int)e.Response.StatusCode} {e.Response.ReasonPhrase} "
                + "(the kubeconfig's user may not)", DrErrorKind.InvalidOperation, e);
        }
        catch (Exception e) when (e is HttpRequestException or SocketException && !cancellationToken.IsCancellationRequested)
        {
            throw new DrToolsException($"{target.Name}: cannot {what}: the API server does not answer ({e.Message})",
                DrErrorKind.ConnectionFailed, e);
        }
    }
}
