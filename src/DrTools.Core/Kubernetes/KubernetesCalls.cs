using System.Net.Sockets;
using k8s;
using k8s.Autorest;
using k8s.Models;

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
        catch (Exception e) when (Explain(target, what, e, cancellationToken) is { } explained)
        {
            throw explained;
        }
    }

    /// <summary>A failed call said in one line, or null for what is not the API's failure (a cancellation).</summary>
    public static DrToolsException? Explain(KubernetesTarget target, string what, Exception e, CancellationToken cancellationToken) =>
        e switch
        {
            HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.NotFound } =>
                new DrToolsException($"{target.Name}: cannot {what}: not found", DrErrorKind.InvalidArgument, e),
            HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.Unauthorized }
                http => new DrToolsException($"{target.Name}: cannot {what}: {(int)http.Response.StatusCode} "
                + $"{http.Response.ReasonPhrase} (the kubeconfig's user may not)", DrErrorKind.InvalidOperation, e),
            HttpOperationException http => new DrToolsException($"{target.Name}: cannot {what}: {(int)http.Response.StatusCode} "
                + $"{http.Response.ReasonPhrase}: {Message(http.Response.Content)}", DrErrorKind.InvalidOperation, e),
            HttpRequestException or SocketException when !cancellationToken.IsCancellationRequested =>
                new DrToolsException($"{target.Name}: cannot {what}: the API server does not answer ({e.Message})",
                    DrErrorKind.ConnectionFailed, e),
            _ => null,
        };

    /// <summary>The message of the API's Status object in an error's body, else the body.</summary>
    internal static string Message(string? body)
    {
        try
        {
            return body is null ? "" : KubernetesJson.Deserialize<V1Status>(body)?.Message ?? body;
        }
        catch (System.Text.Json.JsonException)
        {
            return body ?? "";
        }
    }

    /// <summary>
    /// Refuses before anything is done when the kubeconfig's user may not <paramref name="verb"/> <paramref name="resource"/>
    /// (in the namespace, or cluster-wide for nodes): the API server's own answer to "may I?". A drill refused halfway
    /// would leave some pods deleted, a fault recorded that could not be applied.
    /// </summary>
    internal static async Task DemandMayAsync(IKubernetes client, KubernetesTarget target, string verb, string resource,
        CancellationToken cancellationToken, string? subresource = null)
    {
        var clusterWide = resource == "nodes";
        var review = await RunAsync(target, $"ask whether it may {verb} {resource}",
            token => client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
            {
                Spec = new V1SelfSubjectAccessReviewSpec
                {
                    ResourceAttributes = new V1ResourceAttributes
                    {
                        NamespaceProperty = clusterWide ? null : target.Namespace, Verb = verb, Resource = resource,
                        Subresource = subresource,
                    },
                },
            }, cancellationToken: token), cancellationToken);
        if (review.Status?.Allowed != true)
        {
            var what = $"{verb} {resource}{(subresource is null ? "" : $"/{subresource}")}";
            throw DrToolsException.Refused($"{target.Name}: the kubeconfig's user may not {what}"
                + (clusterWide ? "" : $" in namespace {target.Namespace}")
                + $"{(review.Status?.Reason is { Length: > 0 } reason ? $" ({reason})" : "")}", DrErrorKind.NotAllowed);
        }
    }
}
