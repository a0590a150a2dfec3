"""Django admin: organisations, people, firms (read-mostly), audit log; frameworks in views/frameworks."""

from django.contrib import admin

from innexport.web.models import Answer, Assessment, AuditEntry, Firm, FrameworkVersion, Membership, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "role", "language")
    list_filter = ("organisation", "role")


@admin.register(Firm)
class FirmAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "country", "sector", "size_class")
    list_filter = ("organisation", "country", "size_class")
    search_fields = ("name",)


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    readonly_fields = ("question_id", "value", "comment", "updated_at", "updated_by", "via_share_link")


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("firm", "organisation", "framework", "status", "assessed_on")
    list_filter = ("organisation", "status", "framework")
    inlines = [AnswerInline]
    readonly_fields = ("framework", "result")


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(admin.ModelAdmin):
    list_display = ("label", "content_hash", "published", "builtin", "created_at")
    list_filter = ("published", "builtin")
    readonly_fields = ("framework_id", "version", "modules", "label", "content_hash", "framework_yaml",
                       "modules_yaml", "builtin", "uploaded_by", "created_at")

    def has_add_permission(self, request) -> bool:
        return False  # versions come in validated, through the framework upload page


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "organisation", "user", "action", "object_type", "object_id", "description")
    list_filter = ("organisation", "action", "object_type")

    def has_change_permission(self, request, obj=None):
        return False
