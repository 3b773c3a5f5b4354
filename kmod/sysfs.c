// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/drvbox/domains/NAME/: one read-only file per domain figure.
 *
 * The domain's kobject is also its refcount (see drvbox.h); the files read
 * the domain under d->lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "blk.h"
#include "drvbox.h"

static struct kobject *drvbox_kobj;
static struct kobject *domains_kobj;

#define DOMAIN_ATTR_U32(field, expr)					\
static ssize_t field##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	struct drvbox_domain *d = to_domain(kobj);			\
	u32 v;								\
									\
	mutex_lock(&d->lock);						\
	v = (expr);							\
	mutex_unlock(&d->lock);						\
	return sysfs_emit(buf, "%u\n", v);				\
}									\
static struct kobj_attribute field##_attr = __ATTR_RO(field)

DOMAIN_ATTR_U32(incarnation, d->incarnation);
DOMAIN_ATTR_U32(restarts, d->restarts);
DOMAIN_ATTR_U32(crashes, d->crashes);
DOMAIN_ATTR_U32(boot_ms, d->boot_ms);
DOMAIN_ATTR_U32(mem_kib, supervisor_mem_kib(d));
DOMAIN_ATTR_U32(vcpus, d->vcpus);
DOMAIN_ATTR_U32(vmm_pid, supervisor_vmm_pid(d));
DOMAIN_ATTR_U32(protocol_errors, d->protocol_errors);
DOMAIN_ATTR_U32(pings, d->pings);

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	struct drvbox_domain *d = to_domain(kobj);
	const char *word;

	mutex_lock(&d->lock);
	word = domain_state_word(d->state);
	mutex_unlock(&d->lock);
	return sysfs_emit(buf, "%s\n", word);
}
static struct kobj_attribute state_attr = __ATTR_RO(state);

static ssize_t last_crash_reason_show(struct kobject *kobj,
				      struct kobj_attribute *attr, char *buf)
{
	struct drvbox_domain *d = to_domain(kobj);
	ssize_t n;

	mutex_lock(&d->lock);
	n = sysfs_emit(buf, "%s\n", d->last_crash_reason);
	mutex_unlock(&d->lock);
	return n;
}
static struct kobj_attribute last_crash_reason_attr = __ATTR_RO(last_crash_reason);

static ssize_t last_error_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	struct drvbox_domain *d = to_domain(kobj);
	ssize_t n;

	mutex_lock(&d->lock);
	n = sysfs_emit(buf, "%s\n", d->last_error);
	mutex_unlock(&d->lock);
	return n;
}
static struct kobj_attribute last_error_attr = __ATTR_RO(last_error);

static ssize_t exports_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return blk_sysfs_show(to_domain(kobj), buf);
}
static struct kobj_attribute exports_attr = __ATTR_RO(exports);

static struct attribute *domain_attrs[] = {
	&state_attr.attr,
	&incarnation_attr.attr,
	&restarts_attr.attr,
	&crashes_attr.attr,
	&last_crash_reason_attr.attr,
	&last_error_attr.attr,
	&boot_ms_attr.attr,
	&mem_kib_attr.attr,
	&vcpus_attr.attr,
	&vmm_pid_attr.attr,
	&protocol_errors_attr.attr,
	&pings_attr.attr,
	&exports_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(domain);

/* The last reference: no VMM, no work, off the list. */
static void domain_release(struct kobject *kobj)
{
	struct drvbox_domain *d = to_domain(kobj);

	ram_pool_drain(&d->ram_pool);
	kvfree(d->spec);
	kvfree(d->old_spec);
	kfree(d);
}

const struct kobj_type domain_ktype = {
	.release	= domain_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= domain_groups,
};

int domain_sysfs_add(struct drvbox_domain *d)
{
	return kobject_add(&d->kobj, domains_kobj, "%s", d->name);
}

void domain_sysfs_del(struct drvbox_domain *d)
{
	kobject_del(&d->kobj);
}

int drvbox_sysfs_init(void)
{
	drvbox_kobj = kobject_create_and_add("drvbox", kernel_kobj);
	if (!drvbox_kobj)
		return -ENOMEM;
	domains_kobj = kobject_create_and_add("domains", drvbox_kobj);
	if (!domains_kobj) {
		kobject_put(drvbox_kobj);
		return -ENOMEM;
	}
	return 0;
}

void drvbox_sysfs_exit(void)
{
	kobject_put(domains_kobj);
	kobject_put(drvbox_kobj);
}
