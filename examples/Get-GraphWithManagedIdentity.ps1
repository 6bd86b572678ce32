<#
.SYNOPSIS
Lists the users of a Microsoft Entra tenant from an Azure VM, App Service or Functions app, with the machine's own
managed identity: no secret, no certificate, no vault anywhere.

.DESCRIPTION
The identity needs Microsoft Graph's User.Read.All application permission (granted to its service principal by an
admin). TokenAuth finds the machine's endpoint from the variables the platform sets: IDENTITY_ENDPOINT and
IDENTITY_HEADER on App Service, Functions and Automation, IDENTITY_ENDPOINT and IMDS_ENDPOINT on an Azure Arc
server, and the instance metadata service on a VM. The token is for https://graph.microsoft.com and is sent to
graph.microsoft.com alone.

In a Functions app (PowerShell), the same lines go in run.ps1, with TokenAuth in the app's Modules folder or
managed dependencies (requirements.psd1: @{ 'TokenAuth' = '1.*' }).

.PARAMETER ClientId
A user-assigned identity's client id; without it, the machine's system-assigned identity.

.EXAMPLE
./Get-GraphWithManagedIdentity.ps1 | Select-Object displayName, userPrincipalName
#>
[CmdletBinding()]
param ([string] $ClientId)

$ErrorActionPreference = 'Stop'
Import-Module TokenAuth

$identity = @{ Provider = 'AzureManagedIdentity'; Environment = 'Graph' }
if ($ClientId) { $identity.ClientId = $ClientId }

# Every page of /v1.0/users; the token is got once, cached, and renewed before it expires.
Invoke-AuthenticatedRequest @identity -Uri 'v1.0/users?$select=displayName,userPrincipalName' -FollowRelLink
