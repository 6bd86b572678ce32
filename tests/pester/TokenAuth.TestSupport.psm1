# Helpers shared by the Pester suite and build.ps1's Demo task: the emulator, a throwaway vault, demo secrets.

$script:RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Start-TokenAuthEmulator {
    [CmdletBinding()]
    param ()

    # The most recently built configuration (Debug or Release).
    $emulator = Get-ChildItem -Path (Join-Path $script:RepositoryRoot 'src/TokenAuth.Emulator/bin/*/net10.0/TokenAuth.Emulator.dll') -ErrorAction Ignore |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1 -ExpandProperty FullName
    if (-not $emulator) {
        throw "The emulator is not built: run 'dotnet build TokenAuth.sln' first."
    }

    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    $port = $listener.LocalEndpoint.Port
    $listener.Stop()

    $log = [System.IO.Path]::GetTempFileName()
    $process = Start-Process -FilePath 'dotnet' -ArgumentList @($emulator, '--port', $port) -PassThru -NoNewWindow -RedirectStandardOutput $log
    $root = "http://127.0.0.1:$port/"
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        try {
            $null = Invoke-RestMethod -Uri "${root}_emulator/" -TimeoutSec 2
            break
        }
        catch {
            if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
                throw "The emulator did not start: $(Get-Content $log -Raw)"
            }
            Start-Sleep -Milliseconds 200
        }
    }

    [pscustomobject]@{ Process = $process; Root = $root; Port = $port }
}

function Stop-TokenAuthEmulator {
    [CmdletBinding()]
    param ([Parameter(Mandatory)] $Emulator)

    if (-not $Emulator.Process.HasExited) { Stop-Process -Id $Emulator.Process.Id -Force }
}

function Get-TokenAuthEmulatorBaseUri {
    param ([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $Provider)
    $Emulator.Root + $Provider.ToLowerInvariant()
}

function Register-TokenAuthTestVault {
    [CmdletBinding()]
    param ([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Path, [switch] $Locked, [switch] $DefaultVault)

    Register-SecretVault -Name $Name -ModuleName (Join-Path $PSScriptRoot 'TokenAuth.TestVault/TokenAuth.TestVault.psd1') `
        -VaultParameters @{ Path = $Path; Locked = [bool] $Locked } -DefaultVault:$DefaultVault -AllowClobber
}

function Set-TokenAuthDemoSecret {
    <# Stores each built-in provider's emulator credential as TokenAuth.<Provider>: a hashtable for Akiba's three fields, a PSCredential for the others. #>
    [CmdletBinding()]
    param ([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $Vault)

    $credentials = Invoke-RestMethod -Uri "$($Emulator.Root)_emulator/credentials"
    foreach ($provider in Get-TokenAuthProvider | Where-Object BuiltIn) {
        $credential = $credentials.($provider.Name.ToLowerInvariant())
        $secret = if ($provider.CredentialFields.Count -gt 2) {
            $table = @{}
            foreach ($field in $provider.CredentialFields) { $table[$field] = $credential.($field.Substring(0, 1).ToLowerInvariant() + $field.Substring(1)) }
            $table
        }
        else {
            $user = if ($credential.clientId) { $credential.clientId } else { $credential.apiKey }
            $password = if ($credential.clientSecret) { $credential.clientSecret } else { $credential.apiSecret }
            [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
        }
        Set-Secret -Name "TokenAuth.$($provider.Name)" -Secret $secret -Vault $Vault
    }
    $credentials
}

function Invoke-WithTokenAuthDemo {
    <#
    Runs a script block with the emulator started and its demo credentials in a throwaway vault (not the default one),
    and takes both down afterwards. The block receives the emulator and the credentials.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory)] [string] $VaultName, [Parameter(Mandatory)] [scriptblock] $ScriptBlock)

    $emulator = Start-TokenAuthEmulator
    $vaultFile = [System.IO.Path]::GetTempFileName()
    try {
        Register-TokenAuthTestVault -Name $VaultName -Path $vaultFile
        $credentials = Set-TokenAuthDemoSecret -Emulator $emulator -Vault $VaultName
        & $ScriptBlock $emulator $credentials
    }
    finally {
        Unregister-SecretVault -Name $VaultName -ErrorAction Ignore
        Remove-Item $vaultFile -ErrorAction Ignore
        Stop-TokenAuthEmulator -Emulator $emulator
    }
}

Export-ModuleMember -Function Start-TokenAuthEmulator, Stop-TokenAuthEmulator, Get-TokenAuthEmulatorBaseUri, Register-TokenAuthTestVault, Set-TokenAuthDemoSecret, Invoke-WithTokenAuthDemo
