# Dot-sourced where tests need a Kubernetes API server: kube-lab (shared/tools/kubernetes/kube-lab in a folder above the
# checkout, or KUBE_LAB) started through tests/kube-lab.sh (each simulated node's runtime its own) in a folder of the
# test's own, as root; or DRTOOLS_TEST_KUBECONFIG naming a disposable cluster. Find-KubeLab says why there is none.

function Find-KubeLab {
    if ($env:DRTOOLS_TEST_KUBECONFIG) { return @{ Kubeconfig = $env:DRTOOLS_TEST_KUBECONFIG } }
    $candidates = @($env:KUBE_LAB) + @(for ($d = Get-Item $PSScriptRoot; $d; $d = $d.Parent) { Join-Path $d.FullName 'shared/tools/kubernetes/kube-lab' })
    $lab = $candidates | Where-Object { $_ -and (Test-Path $_) } | Select-Object -First 1
    if (-not $lab) { return @{ Missing = 'no kube-lab beside the checkout and no DRTOOLS_TEST_KUBECONFIG (README: Kubernetes tests)' } }
    if ((id -u) -ne '0') { return @{ Missing = 'kube-lab needs root' } }
    @{ Lab = $lab }
}

# Starts a lab in $Folder (by default four simulated nodes: a drained node's pod has a free one to go to) and returns its
# kubeconfig; Stop-KubeLab removes it.
function Start-KubeLab([string] $Folder, [int] $Nodes = 4) {
    $script:KubeNamespaces = [Collections.Generic.List[string]]::new()
    $found = Find-KubeLab
    if ($found.Kubeconfig) { return $found.Kubeconfig }
    $env:KUBE_LAB = $found.Lab
    $output = & "$PSScriptRoot/../kube-lab.sh" up $Folder $Nodes
    if ($LASTEXITCODE -ne 0) { throw "kube-lab up ${Folder}: exit $LASTEXITCODE" }
    @($output)[-1]
}

function Stop-KubeLab([string] $Folder) {
    $found = Find-KubeLab
    if ($found.Kubeconfig) {
        # A cluster of the user's: the namespaces the tests made go, nothing else.
        foreach ($namespace in $script:KubeNamespaces) { Invoke-KubeApi $found.Kubeconfig Delete "/api/v1/namespaces/$namespace" | Out-Null }
        return
    }
    if (-not $found.Lab -or -not (Test-Path "$Folder/kubeconfig")) { return }
    $env:KUBE_LAB = $found.Lab
    & "$PSScriptRoot/../kube-lab.sh" down $Folder | Out-Null
}

# One call to the API server the kubeconfig names, with its bearer token (kube-lab's kubeconfig has one).
function Invoke-KubeApi([string] $Kubeconfig, [string] $Method, [string] $Path, $Body) {
    $config = Get-Content $Kubeconfig -Raw
    $server = [regex]::Match($config, 'server:\s*"?(https://[^"\s},]+)').Groups[1].Value
    $token = [regex]::Match($config, 'token:\s*"?([^"\s},]+)').Groups[1].Value
    $call = @{ Headers = @{ Authorization = "Bearer $token" }; ContentType = 'application/json'; SkipCertificateCheck = $true }
    if ($null -ne $Body) { $call.Body = $Body | ConvertTo-Json -Depth 10 }
    Invoke-RestMethod @call -Method $Method "$server$Path"
}

# A namespace with a Deployment of nginx pods (kubemark runs none: they only become Ready), at most one a node, waited for
# until healthy.
function New-KubeDeployment([string] $Kubeconfig, [string] $Namespace, [string] $Name, [int] $Replicas = 3) {
    Invoke-KubeApi $Kubeconfig Post /api/v1/namespaces @{ metadata = @{ name = $Namespace } } | Out-Null
    $script:KubeNamespaces.Add($Namespace)
    $labels = @{ app = $Name }
    $deployment = @{
        apiVersion = 'apps/v1'; kind = 'Deployment'; metadata = @{ name = $Name }
        spec = @{ replicas = $Replicas; selector = @{ matchLabels = $labels }
            template = @{ metadata = @{ labels = $labels }; spec = @{ containers = @(@{ name = 'web'; image = 'nginx' })
                    # One pod a node: a drained or lost node's pod then goes to the node none of them runs on.
                    affinity = @{ podAntiAffinity = @{ requiredDuringSchedulingIgnoredDuringExecution = @(
                        @{ labelSelector = @{ matchLabels = $labels }; topologyKey = 'kubernetes.io/hostname' }) } } } } }
    }
    Invoke-KubeApi $Kubeconfig Post "/apis/apps/v1/namespaces/$Namespace/deployments" $deployment | Out-Null
    $deadline = [DateTime]::UtcNow.AddMinutes(3)
    while (-not ($status = Get-DrWorkloadStatus $Namespace -Deployment $Name -Kubeconfig $Kubeconfig).Healthy) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "deployment $Namespace/$Name never healthy: $($status.Verdict)" }
        Start-Sleep -Milliseconds 200
    }
}
