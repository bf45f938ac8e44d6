#Requires -Version 7.6
# The Kubernetes cmdlets against a real API server (kube-lab, or DRTOOLS_TEST_KUBECONFIG): status, refusals, and a
# pod-deletion drill held to its objectives with Should -MeetObjective. Skipped, saying why, where none can be had.

BeforeDiscovery {
    . "$PSScriptRoot/KubeLab.ps1"
    $NoCluster = (Find-KubeLab).Missing
}

BeforeAll {
    . "$PSScriptRoot/Common.ps1" -Name kubernetes
    . "$PSScriptRoot/KubeLab.ps1"
    if (-not (Find-KubeLab).Missing) {
        New-Item -ItemType Directory $TestRoot -Force | Out-Null
        $Kubeconfig = Start-KubeLab "$TestRoot/lab"
        New-KubeDeployment $Kubeconfig pester-drill web 3
    }
}

AfterAll {
    Stop-KubeLab "$TestRoot/lab"
    Remove-Item "$TestRoot/lab" -Recurse -Force -ErrorAction SilentlyContinue
    Remove-TestRoot
}

Describe 'Kubernetes in PowerShell' -Skip:([bool]$NoCluster) {
    It 'reads a Deployment and its namespace as healthy, each pod on a node' {
        $status = Get-DrWorkloadStatus pester-drill -Deployment web -Kubeconfig $Kubeconfig
        $status.Healthy | Should -BeTrue -Because $status.Verdict
        $status.Verdict | Should -Be 'healthy: 3/3 ready'
        @($status.Pods | Where-Object { $_.Ready -and $_.Node }).Count | Should -Be 3
        (Get-DrWorkloadStatus pester-drill -Kubeconfig $Kubeconfig).Target | Should -Be 'namespace pester-drill'
        # A label selector as kubectl -l takes it: the same pods, each made by the Deployment's ReplicaSet.
        $selected = Get-DrWorkloadStatus pester-drill -Selector 'app in (web)' -Kubeconfig $Kubeconfig
        $selected.Verdict | Should -Be 'healthy: 3/3 ready'
        $selected.Target | Should -Be 'selector pester-drill/app in (web)'
        $selected.Pods.Uid | Should -Be $status.Pods.Uid
        $selected.Pods.Controller | Should -BeLike 'ReplicaSet/web-*'
    }

    It 'deletes nothing with -WhatIf, and refuses a namespace not named for drills' {
        $pods = (Get-DrWorkloadStatus pester-drill -Deployment web -Kubeconfig $Kubeconfig).Pods.Uid
        Invoke-DrPodRecovery pester-drill -Deployment web -Kubeconfig $Kubeconfig -AllowDrillOn pester-drill -WhatIf |
            Should -BeNullOrEmpty
        $refusal = { Invoke-DrPodRecovery pester-drill -Deployment web -Kubeconfig $Kubeconfig -Confirm:$false } |
            Should -Throw -PassThru
        $refusal.FullyQualifiedErrorId | Should -BeLike 'DrTools.NotAllowed*'
        $refusal.Exception.Message | Should -BeLike 'pod deletion refused: namespace pester-drill is not allowed for drills*Nothing was changed.'
        (Get-DrWorkloadStatus pester-drill -Deployment web -Kubeconfig $Kubeconfig).Pods.Uid | Should -Be $pods
    }

    It 'measures a pod deletion back to every replica ready and holds it to its objectives' {
        $drill = Invoke-DrPodRecovery pester-drill -Deployment web -Kubeconfig $Kubeconfig -AllowDrillOn pester-drill -Count 1 `
            -Rto 60s -MinReady 2 -Confirm:$false
        @($drill.Deleted).Count | Should -Be 1
        $drill | Should -MeetObjective
        $drill.LowestReady.Target | Should -Be 2
        $drill.LowestReady.TargetText | Should -Be '≥ 2 replicas'
        $drill.Timeline.What | Should -Contain 'every replica ready again, none of the 1 deleted pod(s) among them'
        # An objective no recovery meets: the figure says so.
        $strict = Invoke-DrPodRecovery pester-drill -Deployment web -Kubeconfig $Kubeconfig -AllowDrillOn pester-drill -Count 1 `
            -Rto 1ms -Confirm:$false
        $strict.Met | Should -BeFalse
        { $strict | Should -MeetObjective } | Should -Throw '*recovery time measured*against a target of ≤ 0.001 s*'
    }

    It 'drains the busiest node, keeps the floor, and leaves the node schedulable with no fault recorded' {
        Invoke-DrNodeDrain pester-drill -Deployment web -Kubeconfig $Kubeconfig -AllowDrillOn pester-drill -WhatIf | Should -BeNullOrEmpty
        $drain = Invoke-DrNodeDrain pester-drill -Deployment web -Kubeconfig $Kubeconfig -AllowDrillOn pester-drill -MinReady 2 `
            -Rto 2m -Confirm:$false
        @($drain.Evicted).Count | Should -Be 1
        $drain | Should -MeetObjective
        $drain.Uncordon.Undone | Should -BeTrue
        $drain.Rescheduled | Should -Not -BeLike "* on $($drain.Node)"
        Get-DrFault | Should -BeNullOrEmpty
        (Get-DrWorkloadStatus pester-drill -Deployment web -Kubeconfig $Kubeconfig).Healthy | Should -BeTrue
    }
}
