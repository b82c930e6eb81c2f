using Treue.Server.Web.Shared;

namespace Treue.Server.Web.Portal;

/// <summary>Base of the portal's pages: the member is always the signed-in member, never one named in the address.</summary>
public abstract class PortalPage : WebPage
{
    protected override bool IsPortal => true;
}
