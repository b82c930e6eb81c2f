using Microsoft.Extensions.Time.Testing;
using Treue.Server.Web.Shared;
using Treue.Storage.Entities;

namespace Treue.Web.Tests;

public sealed class RoleAndThrottleTests
{
    [Theory]
    [InlineData(StaffRole.Admin, WebAuth.EditProgramme, true)]
    [InlineData(StaffRole.Marketer, WebAuth.EditProgramme, true)]
    [InlineData(StaffRole.Support, WebAuth.EditProgramme, false)]
    [InlineData(StaffRole.Analyst, WebAuth.EditProgramme, false)]
    [InlineData(StaffRole.Admin, WebAuth.ChangeMembers, true)]
    [InlineData(StaffRole.Support, WebAuth.ChangeMembers, true)]
    [InlineData(StaffRole.Marketer, WebAuth.ChangeMembers, false)]
    [InlineData(StaffRole.Analyst, WebAuth.ChangeMembers, false)]
    [InlineData(StaffRole.Analyst, WebAuth.ViewMembers, false)]
    [InlineData(StaffRole.Analyst, WebAuth.Staff, true)]
    [InlineData(StaffRole.Support, WebAuth.ChangeOrders, true)]
    [InlineData(StaffRole.Marketer, WebAuth.ChangeOrders, false)]
    [InlineData(StaffRole.Marketer, WebAuth.StaffAdmin, false)]
    [InlineData(StaffRole.Support, WebAuth.StaffAdmin, false)]
    [InlineData(StaffRole.Admin, WebAuth.StaffAdmin, true)]
    public void Each_role_may_do_only_what_it_should(StaffRole role, string policy, bool allowed) =>
        Assert.Equal(allowed, WebAuth.Allows(role, policy));

    [Fact]
    public void Only_admins_hold_every_permission()
    {
        foreach (var policy in WebAuth.StaffPolicies.Keys)
            Assert.True(WebAuth.Allows(StaffRole.Admin, policy), policy);
        Assert.False(WebAuth.Allows(StaffRole.Admin, "no-such-policy"));
    }

    [Fact]
    public void Sign_ins_are_throttled_after_five_failures_until_the_window_passes()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero));
        var throttle = new SignInThrottle(clock);
        for (var i = 0; i < SignInThrottle.MaxFailures; i++)
        {
            Assert.True(throttle.IsAllowed("staff", "Eve@Example.org", "10.0.0.1"));
            throttle.Failed("staff", "eve@example.org ", "10.0.0.1");
        }
        Assert.False(throttle.IsAllowed("staff", "eve@example.org", "10.0.0.1"));
        Assert.False(throttle.IsAllowed("staff", "EVE@example.org", "10.0.0.2"), "a new address does not reset the account's count");
        Assert.True(throttle.IsAllowed("member", "eve@example.org", "10.0.0.2"), "the portal counts separately");
        clock.Advance(SignInThrottle.Window);
        Assert.True(throttle.IsAllowed("staff", "eve@example.org", "10.0.0.1"));
    }

    [Fact]
    public void One_address_trying_many_accounts_is_throttled_too()
    {
        var throttle = new SignInThrottle(new FakeTimeProvider());
        for (var i = 0; i < SignInThrottle.MaxFailuresPerAddress; i++) throttle.Failed("member", $"guess{i}@example.org", "192.0.2.7");
        Assert.False(throttle.IsAllowed("member", "fresh@example.org", "192.0.2.7"));
        Assert.True(throttle.IsAllowed("member", "fresh@example.org", "192.0.2.8"));
    }

    [Fact]
    public void A_success_clears_the_count_of_the_account()
    {
        var throttle = new SignInThrottle(new FakeTimeProvider());
        for (var i = 0; i < SignInThrottle.MaxFailures - 1; i++) throttle.Failed("staff", "ann@example.org", "a");
        throttle.Succeeded("staff", "ann@example.org");
        for (var i = 0; i < SignInThrottle.MaxFailures - 1; i++) throttle.Failed("staff", "ann@example.org", "b");
        Assert.True(throttle.IsAllowed("staff", "ann@example.org", "c"));
    }
}
